using IotAspire.Api.Errors;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Security;

namespace IotAspire.Api.Aggregation;

/// <summary>The use case of <c>latest</c>: the newest value of each of the caller's series named by devices, keys and tags.</summary>
public sealed class ReadLatest(LatestValuesReader reader)
{
    public Task<IReadOnlyList<LatestValue>> RunAsync(
        Caller caller, IReadOnlyList<Guid>? deviceIds, IReadOnlyList<string>? keys, IReadOnlyList<Tag>? tags, Guid? customerId, CancellationToken ct)
    {
        var customer = CustomerScope.For(caller, customerId);
        if (deviceIds is { Count: > AggregateRequest.MaxDeviceIds })
        {
            throw ApiErrors.BadInput($"deviceIds may name at most {AggregateRequest.MaxDeviceIds} devices, not {deviceIds.Count}; leave it out for every device.");
        }

        AggregateRequest.CheckSeriesFilters(keys, tags);
        // The range is not read: the newest value is the newest, whenever it was.
        return reader.ReadAsync(new AggregateRequest(customer, deviceIds, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(1), 1) { Keys = keys, Tags = tags }, ct);
    }
}
