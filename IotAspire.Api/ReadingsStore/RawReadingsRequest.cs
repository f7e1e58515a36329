using IotAspire.Api.Errors;
using IotAspire.Api.Readings;
using IotAspire.Api.Security;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Whose raw readings, of which devices (null: all the customer's), of which <see cref="Keys"/> (null: every key), of
/// devices carrying every one of <see cref="Tags"/>, in [<see cref="From"/>, <see cref="To"/>).
/// </summary>
public sealed record RawReadingsRequest(Guid CustomerId, IReadOnlyList<Guid>? DeviceIds, DateTimeOffset From, DateTimeOffset To)
{
    public IReadOnlyList<string>? Keys { get; init; }

    public IReadOnlyList<Tag>? Tags { get; init; }

    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1_000;

    /// <summary>
    /// The request to run, or the first reason to refuse it (a pure rule). Raw readings are read one customer at a
    /// time: an administrator names the customer. Without from and to, every reading stored.
    /// </summary>
    public static RawReadingsRequest Check(
        Caller caller, IReadOnlyList<Guid>? deviceIds, DateTimeOffset? from, DateTimeOffset? to, Guid? customerId,
        IReadOnlyList<string>? keys = null, IReadOnlyList<Tag>? tags = null)
    {
        var customer = CustomerScope.For(caller, customerId)
            ?? throw ApiErrors.BadInput("Name the customerId whose readings you want: raw readings are read one customer at a time.");
        if (from is { } f)
        {
            ReadingTime.Check(f, "from");
        }

        if (to is { } t)
        {
            ReadingTime.Check(t, "to");
        }

        if (deviceIds is { Count: > AggregateRequest.MaxDeviceIds })
        {
            throw ApiErrors.BadInput($"deviceIds may name at most {AggregateRequest.MaxDeviceIds} devices, not {deviceIds.Count}; leave it out for every device.");
        }

        var (start, end) = (from ?? ReadingTime.Earliest, to ?? ReadingTime.End);
        if (start >= end)
        {
            throw ApiErrors.BadInput($"from ({start:O}) must be earlier than to ({end:O}).");
        }

        AggregateRequest.CheckSeriesFilters(keys, tags);
        return new RawReadingsRequest(customer, deviceIds is null ? null : [.. deviceIds.Distinct()], start, end)
        {
            Keys = keys is null ? null : [.. keys.Distinct()],
            Tags = tags,
        };
    }

    /// <summary>A page size, or BAD_USER_INPUT naming <c>first</c>.</summary>
    public static int CheckPageSize(int? first) => first switch
    {
        null => DefaultPageSize,
        >= 1 and <= MaxPageSize => first.Value,
        _ => throw ApiErrors.BadInput($"first must be between 1 and {MaxPageSize}, not {first}; page on with after: the endCursor of this page."),
    };
}
