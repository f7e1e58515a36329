using IotAspire.Api.HeavyReads;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.Readings;

/// <summary>The cost of a <c>deviceAggregates</c> read (buckets x devices x functions) and when it is heavy: pure rules.</summary>
public sealed class ReadCostTests
{
    private static readonly DateTimeOffset End = new(2024, 7, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(30 * 1_440, 1, 43_200)]      // the heavy read: 30 days of 1-minute buckets
    [InlineData(7 * 1_440, 5, 2_016)]
    [InlineData(90, 60, 2)]                  // a part bucket counts whole
    [InlineData(1, 60, 1)]
    public void Buckets_per_device_cover_the_range(int minutes, int size, long buckets) =>
        Assert.Equal(buckets, ReadCost.BucketsPerDevice(new AggregateRequest(Guid.NewGuid(), null, End.AddMinutes(-minutes), End, size)));

    [Theory]
    [InlineData(new[] { "value" }, 0, 1)]
    [InlineData(new[] { "mean", "min", "max", "sum", "count" }, 0, 5)]   // one rollup row gives all five, but the answer holds five values
    [InlineData(new[] { "value", "stddev", "first", "last", "percentile" }, 2, 6)]
    [InlineData(new[] { "percentile" }, 3, 3)]
    [InlineData(new[] { "stddev" }, 0, 1)]
    [InlineData(new[] { "value", "value", "value", "value", "value", "value", "value", "value" }, 0, 8)]   // aliases: computed once, written eight times
    public void Functions_count_the_work_or_the_values_the_answer_holds_whichever_is_more(string[] fields, int percentiles, int functions) =>
        Assert.Equal(functions, ReadCost.Functions(BucketFunctions.Of(fields, Enumerable.Range(1, percentiles).Select(p => p / 10.0))));

    [Fact]
    public void More_values_per_bucket_than_the_bound_are_refused_however_cheap_the_work()
    {
        var refused = Assert.Throws<Api.Errors.ApiErrorException>(() => BucketFunctions.Of(Enumerable.Repeat("value", 1_700), []));

        Assert.StartsWith($"A bucket may hold at most {BucketFunctions.MaxValuesPerBucket} values, aliases and repeats counted, not 1700", refused.Message);
        Assert.Equal(BucketFunctions.MaxValuesPerBucket, BucketFunctions.Of(Enumerable.Repeat("value", BucketFunctions.MaxValuesPerBucket), []).ValuesPerBucket);
    }

    [Fact]
    public void The_answers_bucket_limit_bounds_buckets_times_devices() =>
        Assert.Equal(AggregateRequest.DefaultMaxBuckets * 3L, ReadCost.Of(43_200, 1_000, 3));

    [Theory]
    [InlineData(43_200, 6, 50_000, 1L)]      // heavy with any one device
    [InlineData(2_016, 1, 50_000, 25L)]      // a week of 5-minute means: from 25 devices
    [InlineData(288, 5, 50_000, 35L)]
    [InlineData(10, 1, 200_000, null)]       // never: even the largest answer costs less
    public void Devices_make_a_read_heavy_from_a_number_on(long buckets, int functions, long heavyCost, long? devices) =>
        Assert.Equal(devices, ReadCost.HeavyFromDevices(buckets, functions, heavyCost));

    [Fact]
    public void The_heavy_threshold_agrees_with_the_cost()
    {
        var from = ReadCost.HeavyFromDevices(2_016, 1, 50_000)!.Value;
        Assert.True(ReadCost.Of(2_016, from, 1) >= 50_000);
        Assert.True(ReadCost.Of(2_016, from - 1, 1) < 50_000);
    }
}
