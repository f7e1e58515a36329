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

/// <summary>
/// One bucket, labelled by its start: the mean of its readings (<see cref="Value"/>, also as <see cref="Mean"/>),
/// their minimum, maximum, sum and count. All five are exact whether the bucket is read from the readings or
/// from a rollup, which keeps count, sum, minimum and maximum. A bucket added by a fill has no readings: count 0,
/// the others null but the filled mean.
/// </summary>
public sealed record AggregatedValue(
    DateTimeOffset From,
    [property: Description("The mean of the bucket's readings (the same as mean).")] double? Value,
    [property: Description("The smallest reading in the bucket.")] double? Min = null,
    [property: Description("The largest reading in the bucket.")] double? Max = null,
    [property: Description("The sum of the bucket's readings.")] double? Sum = null,
    [property: Description("How many readings the bucket holds.")] int Count = 0)
{
    [Description("The mean of the bucket's readings (the same as value).")]
    public double? Mean => Value;
}
