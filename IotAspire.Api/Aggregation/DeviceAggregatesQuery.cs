using IotAspire.Api.Schema;
using IotAspire.Api.Security;

namespace IotAspire.Api.Aggregation;

/// <summary>Checks the arguments of <c>deviceAggregates</c> and decides whose devices the caller may see.</summary>
public sealed class DeviceAggregatesQuery(DeviceAggregatesReader reader, TimeProvider clock)
{
    public const int MinBucketMinutes = 1;
    public const int MaxBucketMinutes = 527_040;   // 366 days
    public const long MaxBucketsPerDevice = 100_000;
    public static readonly TimeSpan DefaultRange = TimeSpan.FromDays(30);

    public async Task<IReadOnlyList<DeviceAggregate>> RunAsync(
        Caller caller, DateTimeOffset? from, DateTimeOffset? to, int bucketMinutes, IReadOnlyList<Guid>? deviceIds, Guid? customerId,
        CancellationToken ct)
    {
        if (bucketMinutes is < MinBucketMinutes or > MaxBucketMinutes)
        {
            throw ApiErrors.BadInput($"aggregationSizeMinutes must be between {MinBucketMinutes} and {MaxBucketMinutes}, not {bucketMinutes}.");
        }

        var end = to ?? clock.GetUtcNow();
        var start = from ?? end - DefaultRange;
        if (start >= end)
        {
            throw ApiErrors.BadInput($"from ({start:O}) must be earlier than to ({end:O}).");
        }

        var buckets = (end - start).Ticks / TimeSpan.FromMinutes(bucketMinutes).Ticks;
        if (buckets > MaxBucketsPerDevice)
        {
            var suggested = (int)Math.Ceiling((end - start).TotalMinutes / MaxBucketsPerDevice);
            throw ApiErrors.BadInput(
                $"The range holds {buckets} buckets of {bucketMinutes} minute(s) per device; the limit is {MaxBucketsPerDevice}. "
                + $"Use aggregationSizeMinutes of at least {suggested}, or a shorter range.");
        }

        var scope = CustomerScope.For(caller, customerId);
        return await reader.ReadAsync(new AggregateRequest(scope, deviceIds, start, end, bucketMinutes), ct);
    }
}
