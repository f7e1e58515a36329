using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.HeavyReads;

/// <summary>
/// What a <c>deviceAggregates</c> read costs, before it runs (pure rules): buckets x devices x functions, the figures
/// the aggregate reader works by. Buckets: per device, of the range (a full range, whether or not readings fill it);
/// devices: those named, or those with readings in the range; functions: the rollups' five count as one (one rollup
/// row gives them all), and each function that needs the readings (stddev, first, last, each percentile) as one more;
/// or, where more, the values each bucket of the answer holds (aliases and repeats counted).
/// An answer holds at most <see cref="AggregateRequest.DefaultMaxBuckets"/> buckets, so that bounds buckets x devices.
/// </summary>
/// <remarks>
/// What it does not see: how many readings a bucket holds (a device that sends every second costs more per bucket
/// than one that sends every hour), and the work of fill, done in the API after the read. It is a ranking of
/// requests, not a time: <see cref="HeavyReadsOptions.HeavyCost"/> is where it starts to matter.
/// </remarks>
public static class ReadCost
{
    public static long BucketsPerDevice(AggregateRequest request) =>
        Math.Max(1, (long)Math.Ceiling((request.To - request.From) / TimeSpan.FromMinutes(request.AggregationSizeMinutes)));

    public static int Functions(BucketFunctions functions)
    {
        var count = (functions.Selected & ~(BucketFunction.Stddev | BucketFunction.First | BucketFunction.Last | BucketFunction.Percentiles)) != 0 ? 1 : 0;
        count += functions.Has(BucketFunction.Stddev) ? 1 : 0;
        count += functions.Has(BucketFunction.First) ? 1 : 0;
        count += functions.Has(BucketFunction.Last) ? 1 : 0;
        count += functions.Has(BucketFunction.Percentiles) ? Math.Max(1, functions.PercentileFractions.Count) : 0;
        // The work, or the values the answer holds where aliases make it larger: writing them costs too.
        return Math.Max(Math.Max(1, count), functions.ValuesPerBucket);
    }

    public static long Of(long bucketsPerDevice, long devices, int functions) =>
        Math.Min(bucketsPerDevice * devices, AggregateRequest.DefaultMaxBuckets) * functions;

    /// <summary>
    /// How many devices make a read of these buckets and functions heavy: 1 when any device does, null when no number
    /// does (the answer's bucket limit keeps it below <paramref name="heavyCost"/>). Only between the two does a
    /// read whose devices are not named have to count them.
    /// </summary>
    public static long? HeavyFromDevices(long bucketsPerDevice, int functions, long heavyCost)
    {
        if ((long)AggregateRequest.DefaultMaxBuckets * functions < heavyCost)
        {
            return null;
        }

        var perDevice = bucketsPerDevice * functions;
        return Math.Max(1, (heavyCost + perDevice - 1) / perDevice);
    }
}
