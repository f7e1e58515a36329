using System.ComponentModel;

namespace IotAspire.Api.Aggregation;

/// <summary>
/// One device's bucket means over the requested range. <see cref="IncompleteBefore"/>: buckets that start
/// before it lack readings its customer's retention deleted (null: every bucket is complete).
/// </summary>
public sealed record DeviceAggregate(
    Guid DeviceId, Guid CustomerId, DateTimeOffset From, DateTimeOffset To, int AggregationSizeMinutes,
    IReadOnlyList<AggregatedValue> AggregatedValues,
    [property: Description("Buckets that start before this time lack readings that the customer's retention deleted; null when every bucket is complete. Bucket sizes that are multiples of 5 minutes are answered from the rollups, which are kept longer than the readings.")]
    DateTimeOffset? IncompleteBefore = null);

/// <summary>The mean of one bucket, labelled by the bucket's start.</summary>
public sealed record AggregatedValue(DateTimeOffset From, double? Value);
