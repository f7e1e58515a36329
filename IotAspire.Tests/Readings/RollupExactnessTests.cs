using System.Globalization;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Readings;

/// <summary>
/// <c>deviceAggregates</c> serves bucket sizes that are whole multiples of five minutes, hours or days from
/// the rollups, with the readings for the range's unaligned edges. Its answers must equal means computed from
/// the readings alone, and the rollups must equal the readings' own counts, sums, minima and maxima,
/// whatever arrives: late readings, duplicates, changed values, concurrent batches.
/// </summary>
[Collection(AppHostCollection.Name)]
public class RollupExactnessTests(AppHostFixture fixture)
{
    // Sums added in another order differ in the last bits; nothing else may differ.
    private const double Tolerance = 1e-9;

    private static readonly int[] BucketSizes = [60, 120, 180, 360, 1_440, 2_880, 10_080, 5, 7, 90, 15, 1];

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Rollups_and_answers_served_from_them_equal_the_readings_under_late_duplicate_changed_and_concurrent_batches()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var devices = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();
        var random = new Random(20261128);
        var start = new DateTimeOffset(2024, 3, 30, 0, 0, 0, TimeSpan.Zero);
        const int Minutes = 4 * 1_440;

        // 60 batches of 100 readings from 4 senders at once, over 3 devices and 4 days of minutes: readings
        // arrive late, repeat within and across batches, and come back with other values (negative and
        // fractional too), so the incremental path and the recompute path both run.
        var batches = Enumerable.Range(0, 60).Select(_ => Enumerable.Range(0, 100).Select(_ => new
        {
            timestamp = start.AddMinutes(random.Next(Minutes)).AddSeconds(random.Next(4) * 15).ToString("O"),
            reading = Math.Round((random.NextDouble() * 200) - 100, random.Next(4)),
            deviceId = devices[random.Next(devices.Length)],
        }).ToArray()).ToArray();
        await graphQL.IngestConcurrentlyAsync(batches, token, senders: 4);

        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
        await AssertRollupEqualsReadingsAsync(dataSource, customerId, "readings_five_minute", "5 minutes");
        await AssertRollupEqualsReadingsAsync(dataSource, customerId, "readings_hourly", "1 hour");
        await AssertRollupEqualsReadingsAsync(dataSource, customerId, "readings_daily", "1 day");

        // Random ranges, some on hour or day boundaries and some not, over every kind of bucket size.
        for (var i = 0; i < 40; i++)
        {
            var from = start.AddMinutes(random.Next(-600, Minutes)).AddSeconds(random.Next(2) * 30);
            from = (i % 3) switch { 0 => from.AddTicks(-(from.UtcTicks % TimeSpan.TicksPerHour)), 1 => from.AddTicks(-(from.UtcTicks % TimeSpan.TicksPerDay)), _ => from };
            var to = from.AddMinutes(random.Next(1, Minutes + 1_440));
            var size = BucketSizes[i % BucketSizes.Length];

            var answered = await AnsweredBucketsAsync(token, from, to, size);
            var expected = await Sql.ListAsync(dataSource,
                """
                SELECT series_id, date_bin(make_interval(mins => $4), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                       avg(reading), min(reading), max(reading), sum(reading), count(*)::int
                FROM readings WHERE customer_id = $1 AND recorded_at >= $2 AND recorded_at < $3 GROUP BY 1, 2
                """,
                r => (Key: (r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1)), Bucket: (Mean: r.GetDouble(2), Min: r.GetDouble(3), Max: r.GetDouble(4), Sum: r.GetDouble(5), Count: r.GetInt32(6))),
                customerId, from, to, size);

            Assert.Equal(expected.Select(e => e.Key).Order(), answered.Keys.Order());
            foreach (var (key, bucket) in expected)
            {
                var got = answered[key];
                Assert.True(Close(bucket.Mean, got.Mean) && Close(bucket.Sum, got.Sum) && (bucket.Min, bucket.Max, bucket.Count) == (got.Min, got.Max, got.Count),
                    $"{size}-minute bucket {key} of [{from:O}, {to:O}): {got} from the API, {bucket} from the readings");
            }
        }
    }

    [Theory]
    [InlineData("readings_five_minute", 5)]
    [InlineData("readings_hourly", 60)]
    [InlineData("readings_daily", 1_440)]
    public async Task Whole_rollup_buckets_are_read_from_the_rollup_and_other_sizes_from_the_readings(string rollup, int size)
    {
        // Proves the routing, which the equality above cannot: a rollup row is altered beneath the API, so
        // an answer that reads it differs from the readings, and one that does not read it does not.
        var (token, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var day = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var readings = Enumerable.Range(0, 1_440).Select(m => new { timestamp = day.AddMinutes(m).ToString("O"), reading = 10.0, deviceId = device }).ToArray();
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings }, token);
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
        await Sql.ExecuteAsync(dataSource, $"UPDATE {rollup} SET reading_sum = reading_sum * 2 WHERE customer_id = $1 AND bucket_start = $2", customerId, day);

        var fromRollup = await AnsweredMeansAsync(token, day, day.AddDays(1), size);
        var fromReadings = await AnsweredMeansAsync(token, day, day.AddDays(1), 7);

        Assert.Equal(20.0, fromRollup[(device, day)]);
        Assert.All(fromReadings.Values, mean => Assert.Equal(10.0, mean));
    }

    private const string AllFunctions = """
        query($from: DateTime, $to: DateTime, $size: Int) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: $size) { deviceId aggregatedValues { from mean min max sum count } }
        }
        """;

    /// <summary>Every bucket's mean, minimum, maximum, sum and count as the API answers them.</summary>
    private async Task<Dictionary<(Guid Device, DateTimeOffset From), (double Mean, double Min, double Max, double Sum, int Count)>> AnsweredBucketsAsync(
        string token, DateTimeOffset from, DateTimeOffset to, int size)
    {
        var data = await graphQL.DataAsync(AllFunctions, new { from = from.ToString("O"), to = to.ToString("O"), size }, token);
        return data.GetProperty("deviceAggregates").EnumerateArray()
            .SelectMany(a => a.GetProperty("aggregatedValues").EnumerateArray().Select(v => (
                Key: (a.GetProperty("deviceId").GetGuid(), v.GetProperty("from").GetDateTimeOffset()),
                Bucket: (v.GetProperty("mean").GetDouble(), v.GetProperty("min").GetDouble(), v.GetProperty("max").GetDouble(),
                         v.GetProperty("sum").GetDouble(), v.GetProperty("count").GetInt32()))))
            .ToDictionary(p => p.Key, p => p.Bucket);
    }

    private async Task<Dictionary<(Guid Device, DateTimeOffset From), double>> AnsweredMeansAsync(string token, DateTimeOffset from, DateTimeOffset to, int size)
    {
        var data = await graphQL.DataAsync(GraphQLDocuments.Aggregates, new { from = from.ToString("O"), to = to.ToString("O"), size }, token);
        return data.GetProperty("deviceAggregates").EnumerateArray()
            .SelectMany(a => a.GetProperty("aggregatedValues").EnumerateArray().Select(v => (
                Key: (a.GetProperty("deviceId").GetGuid(), v.GetProperty("from").GetDateTimeOffset()),
                Mean: v.GetProperty("value").GetDouble())))
            .ToDictionary(p => p.Key, p => p.Mean);
    }

    private static async Task AssertRollupEqualsReadingsAsync(NpgsqlDataSource dataSource, Guid customerId, string table, string grain)
    {
        var fromReadings = await Sql.ListAsync(dataSource,
            $"""
            SELECT series_id, date_bin(INTERVAL '{grain}', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), count(*), sum(reading), min(reading), max(reading)
            FROM readings WHERE customer_id = $1 GROUP BY 1, 2 ORDER BY 1, 2
            """, Row, customerId);
        var rollup = await Sql.ListAsync(dataSource,
            $"SELECT series_id, bucket_start, reading_count, reading_sum, reading_min, reading_max FROM {table} WHERE customer_id = $1 ORDER BY 1, 2",
            Row, customerId);

        Assert.True(fromReadings.Count > 10, $"{fromReadings.Count} buckets: too few to prove anything");
        Assert.Equal(fromReadings.Select(r => (r.Device, r.Start, r.Count, r.Min, r.Max)), rollup.Select(r => (r.Device, r.Start, r.Count, r.Min, r.Max)));
        foreach (var (expected, actual) in fromReadings.Zip(rollup))
        {
            Assert.True(Close(expected.Sum, actual.Sum), string.Create(CultureInfo.InvariantCulture, $"{table} {expected.Device} {expected.Start:O}: sum {actual.Sum}, readings say {expected.Sum}"));
        }
    }

    private static (Guid Device, DateTimeOffset Start, long Count, double Sum, double Min, double Max) Row(NpgsqlDataReader r) =>
        (r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5));

    private static bool Close(double expected, double actual) =>
        Math.Abs(expected - actual) <= Tolerance * Math.Max(1, Math.Abs(expected));
}
