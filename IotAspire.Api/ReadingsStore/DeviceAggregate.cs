using System.ComponentModel;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// One device's buckets of one key (<see cref="Key"/>) over the requested range, with the selected functions. <see cref="IncompleteBefore"/>: buckets that start
/// before it lack readings its customer's retention deleted (null: every bucket is complete).
/// </summary>
public sealed record DeviceAggregate(
    Guid DeviceId, Guid CustomerId, DateTimeOffset From, DateTimeOffset To, int AggregationSizeMinutes,
    IReadOnlyList<AggregatedValue> AggregatedValues,
    [property: Description("Buckets that start before this time lack readings that the customer's retention deleted; null when every bucket is complete. Bucket sizes that are multiples of 5 minutes are answered from the rollups, which are kept longer than the readings.")]
    DateTimeOffset? IncompleteBefore = null)
{
    [Description("The key whose values these buckets aggregate (reading for readings sent without one).")]
    public string Key { get; init; } = SeriesIds.DeviceKey;
}

/// <summary>
/// One bucket, labelled by its start. Mean (<see cref="Value"/>, also as <see cref="Mean"/>), minimum, maximum,
/// sum and count are exact whether the bucket is read from the readings or from a rollup, which keeps count,
/// sum, minimum and maximum; the standard deviation, first, last and percentiles are computed from the
/// readings. Only the selected functions are computed (<see cref="BucketFunctions"/>): the others are null
/// (count 0). A bucket added by a fill has no readings: count 0, the others null but the filled mean.
/// </summary>
public sealed record AggregatedValue(
    DateTimeOffset From,
    [property: Description("The mean of the bucket's readings (the same as mean).")] double? Value,
    [property: Description("The smallest reading in the bucket.")] double? Min = null,
    [property: Description("The largest reading in the bucket.")] double? Max = null,
    [property: Description("The sum of the bucket's readings.")] double? Sum = null,
    [property: Description("How many readings the bucket holds.")] int Count = 0,
    [property: Description("The sample standard deviation of the bucket's readings (n - 1 in the divisor, as PostgreSQL's stddev); null for a bucket of one reading.")] double? Stddev = null,
    [property: Description("The bucket's earliest reading (by timestamp).")] double? First = null,
    [property: Description("The bucket's latest reading (by timestamp).")] double? Last = null)
{
    [Description("The mean of the bucket's readings (the same as value).")]
    public double? Mean => Value;

    /// <summary>The computed percentiles: <see cref="PercentileValues"/>[i] is the one of fraction <see cref="PercentileFractions"/>[i].</summary>
    internal IReadOnlyList<double>? PercentileFractions { get; init; }

    internal double[]? PercentileValues { get; init; }

    [Description("The exact p-quantile of the bucket's readings (0 <= p <= 1; 0.5 is the median), interpolated linearly between the two nearest readings as PostgreSQL's percentile_cont does. Select several with aliases, e.g. p50: percentile(p: 0.5) p99: percentile(p: 0.99).")]
    public double? Percentile(double p)
    {
        if (PercentileValues is not { } values)
        {
            return null;
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (PercentileFractions![i] == p)
            {
                return values[i];
            }
        }

        throw new InvalidOperationException($"percentile({p}) was not computed for this answer.");
    }
}
