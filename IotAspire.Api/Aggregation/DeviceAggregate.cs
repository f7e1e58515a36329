namespace IotAspire.Api.Aggregation;

/// <summary>One device's bucket means over the requested range.</summary>
public sealed record DeviceAggregate(
    Guid DeviceId, Guid CustomerId, DateTimeOffset From, DateTimeOffset To, int AggregationSizeMinutes,
    IReadOnlyList<AggregatedValue> AggregatedValues);

/// <summary>The mean of one bucket, labelled by the bucket's start.</summary>
public sealed record AggregatedValue(DateTimeOffset From, double? Value);
