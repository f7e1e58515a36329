using System.Globalization;
using System.Text.Json;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Readings;

/// <summary>
/// Every bucket function of <c>deviceAggregates</c> against the same function computed here, in C#, from the
/// stored readings: random readings with one-reading buckets, equal timestamps (resent with other values, and
/// shared between devices), negative values and values near the 1e100 limit; in UTC and in time zones across
/// daylight-saving changes. Only the selected functions come back.
/// </summary>
[Collection(AppHostCollection.Name)]
public class BucketFunctionsTests(AppHostFixture fixture)
{
    private const string AllFunctions = """
        query($from: DateTime, $to: DateTime, $size: Int, $zone: String, $p: Float!) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: $size, timeZone: $zone) {
            deviceId from to
            aggregatedValues { from mean value min max sum count stddev first last p0: percentile(p: 0) p25: percentile(p: 0.25) median: percentile(p: 0.5) p: percentile(p: $p) p100: percentile(p: 1) }
          }
        }
        """;

    private const string RollupFunctions = """
        query($from: DateTime, $to: DateTime, $size: Int, $zone: String) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: $size, timeZone: $zone) {
            deviceId aggregatedValues { from mean value min max sum count }
          }
        }
        """;

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Every_function_equals_an_independent_computation_over_random_readings()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var (otherToken, _) = await auth.NewCustomerAsync();
        var (dense, sparse, huge) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var random = new Random(20261128);
        var start = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        string At(int second, int micro = 0) => start.AddSeconds(second).AddTicks(micro * 10L).ToString("O", CultureInfo.InvariantCulture);

        var readings = new List<object>();
        for (var i = 0; i < 3_000; i++)
        {
            readings.Add(new { timestamp = At(random.Next(2 * 86_400), random.Next(1_000_000)), reading = Math.Round((random.NextDouble() * 2_000) - 1_000, random.Next(6)), deviceId = dense });
        }

        for (var i = 0; i < 40; i++)
        {
            // Mostly one reading per bucket, at times the dense device also uses.
            readings.Add(new { timestamp = At(i * 4_321), reading = -random.NextDouble(), deviceId = sparse });
            readings.Add(new { timestamp = At(i * 4_321), reading = random.NextDouble(), deviceId = dense });
            readings.Add(new { timestamp = At(random.Next(2 * 86_400)), reading = (random.NextDouble() - 0.5) * 2e99, deviceId = huge });
        }

        readings.Add(new { timestamp = At(86_400), reading = 1e100, deviceId = huge });
        readings.Add(new { timestamp = At(86_401), reading = 1e100, deviceId = huge });
        readings.Add(new { timestamp = At(86_402), reading = -1e100, deviceId = huge });
        foreach (var batch in readings.Chunk(1_000))
        {
            await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = batch }, token);
        }

        // The same timestamps again with other values: the stored reading is replaced, not added.
        var resent = readings.Take(200).Select(r => JsonSerializer.SerializeToElement(r))
            .Select(r => new { timestamp = r.GetProperty("timestamp").GetString(), reading = r.GetProperty("reading").GetDouble() + 1, deviceId = r.GetProperty("deviceId").GetGuid() }).ToArray();
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = resent }, token);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = At(100), reading = 5e5, deviceId = Guid.NewGuid() } } }, otherToken);

        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        var stored = await Sql.ListAsync(dataSource, "SELECT series_id, recorded_at, reading FROM readings WHERE customer_id = $1",
            r => new Stored(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetDouble(2)), customerId);
        Assert.InRange(stored.Count, 3_000, 3_000 + 120 + 3);   // random timestamps may coincide

        foreach (var (size, fromSecond, toSecond) in new[] { (5, 0, 2 * 86_400), (60, 1_234, 150_000), (7, 600, 90_000), (1_440, 0, 2 * 86_400), (1, 86_000, 87_000), (180, 3_599, 170_000) })
        {
            var (from, to) = (start.AddSeconds(fromSecond), start.AddSeconds(toSecond));
            var expected = Expected(stored, from, to, time => Floor(time, size));
            var answered = await AnsweredAsync(AllFunctions, token, from, to, size, zone: null, p: 0.9);
            AssertBuckets(expected, answered, $"{size}-minute buckets of [{from:O}, {to:O})", all: true);

            // Without the readings-only functions the rollups answer: the same figures.
            var fromRollups = await AnsweredAsync(RollupFunctions, token, from, to, size, zone: null, p: null);
            AssertBuckets(expected, fromRollups, $"{size}-minute buckets from the rollups", all: false);
        }
    }

    [Fact]
    public async Task Only_the_selected_functions_are_answered_and_a_bad_percentile_is_refused_by_name()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = ThreeReadings.Select((r, i) => new { timestamp = $"2025-06-01T00:0{i}:00Z", reading = r, deviceId = device }) }, token);

        var data = await graphQL.DataAsync("""{ deviceAggregates(from: "2025-06-01T00:00:00Z", to: "2025-06-01T00:05:00Z") { aggregatedValues { first last median: percentile(p: 0.5) } } }""", new { }, token);
        var bucket = data.GetProperty("deviceAggregates")[0].GetProperty("aggregatedValues")[0];
        Assert.Equal("""{"first":3,"last":2,"median":2}""", bucket.GetRawText());

        var one = await graphQL.DataAsync("""{ deviceAggregates(from: "2025-06-01T00:02:00Z", to: "2025-06-01T00:03:00Z", aggregationSizeMinutes: 1) { aggregatedValues { count stddev p: percentile(p: 0.3) } } }""", new { }, token);
        Assert.Equal("""{"count":1,"stddev":null,"p":2}""", one.GetProperty("deviceAggregates")[0].GetProperty("aggregatedValues")[0].GetRawText());

        foreach (var (query, message) in new[]
        {
            ("{ deviceAggregates { aggregatedValues { percentile(p: 1.01) } } }", "p must be between 0 and 1"),
            ("{ deviceAggregates { aggregatedValues { percentile(p: -0.5) } } }", "p must be between 0 and 1"),
            ("{ deviceAggregates { aggregatedValues { percentile } } }", "percentile"),
            ("{ deviceAggregates { aggregatedValues { " + string.Join(" ", Enumerable.Range(0, 11).Select(i => $"p{i}: percentile(p: 0.{i:D2})")) + " } } }", "at most 10 different percentiles"),
            // One function under many aliases is computed once but written as often: the answer's size is bounded.
            ("{ deviceAggregates { aggregatedValues { " + string.Join(" ", Enumerable.Range(0, 40).Select(i => $"v{i}: value")) + " } } }", "A bucket may hold at most 32 values, aliases and repeats counted, not 40"),
        })
        {
            var (_, body) = await graphQL.PostAsync(query, null, token);
            var error = GraphQLClient.SingleError(body);
            Assert.Contains(message, error.Message);
        }

        var (_, tooLarge) = await graphQL.PostAsync(GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = "2025-06-01T00:09:00Z", reading = 1e101, deviceId = device } } }, token);
        Assert.Equal(("BAD_USER_INPUT", "readings[0].reading must be a finite number between -1e100 and 1e100, not 1E+101."), GraphQLClient.SingleError(tooLarge));
    }

    [Theory]
    [InlineData("Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z")]
    [InlineData("Europe/Berlin", "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z")]
    [InlineData("America/New_York", "2026-03-07T00:00:00Z", "2026-03-10T12:00:00Z")]
    [InlineData("America/New_York", "2026-10-31T00:00:00Z", "2026-11-03T12:00:00Z")]
    [InlineData("Asia/Kolkata", "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z")]
    public async Task Buckets_in_a_time_zone_follow_its_local_midnight_and_clock_across_daylight_saving_changes(string zone, string from, string to)
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var (start, end) = (DateTimeOffset.Parse(from, CultureInfo.InvariantCulture), DateTimeOffset.Parse(to, CultureInfo.InvariantCulture));
        var minutes = (int)(end - start).TotalMinutes;
        var random = new Random(zone.Length);
        var readings = Enumerable.Range(0, minutes / 10).Select(i => new { timestamp = start.AddMinutes(i * 10).AddSeconds(random.Next(600)).ToString("O"), reading = (double)i, deviceId = device }).ToArray();
        foreach (var batch in readings.Chunk(1_000))
        {
            await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = batch }, token);
        }

        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        var stored = await Sql.ListAsync(dataSource, "SELECT series_id, recorded_at, reading FROM readings WHERE customer_id = $1",
            r => new Stored(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetDouble(2)), customerId);
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);   // the system's zone rules, not the API's NodaTime

        foreach (var size in new[] { 30, 60, 1_440 })
        {
            var expected = Expected(stored, start, end, time => LocalFloor(time, tz, size));
            var answered = await AnsweredAsync(AllFunctions, token, start, end, size, zone, p: 0.9);
            AssertBuckets(expected, answered, $"{size}-minute buckets in {zone}", all: true);
            AssertBuckets(expected, await AnsweredAsync(RollupFunctions, token, start, end, size, zone, p: null), $"{size}-minute buckets in {zone} from the rollups", all: false);
        }

        // The daylight-saving day itself, bucket by bucket, with every bucket present (fill NULL).
        var changes = tz.GetAdjustmentRules().Length > 0;
        var day = await graphQL.DataAsync("""
            query($from: DateTime, $to: DateTime, $zone: String) {
              hours: deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: 60, timeZone: $zone, fill: NULL) { from to aggregatedValues { from } }
              days: deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: 1440, timeZone: $zone) { aggregatedValues { from count } }
            }
            """, new { from = start.ToString("O"), to = end.ToString("O"), zone }, token);
        var hours = day.GetProperty("hours")[0];
        var offsetAtStart = tz.GetUtcOffset(start);
        Assert.Equal(start.ToOffset(offsetAtStart), hours.GetProperty("from").GetDateTimeOffset());
        Assert.EndsWith(offsetAtStart < TimeSpan.Zero ? $"-{offsetAtStart:hh\\:mm}" : $"+{offsetAtStart:hh\\:mm}", hours.GetProperty("from").GetString());
        var perLocalDay = hours.GetProperty("aggregatedValues").EnumerateArray().Select(v => v.GetProperty("from").GetString()!)
            .GroupBy(text => text[..10]).ToDictionary(g => g.Key, g => g.Count());
        var dayLengths = day.GetProperty("days")[0].GetProperty("aggregatedValues").EnumerateArray()
            .Select(v => (Day: v.GetProperty("from").GetString()![..10], Count: v.GetProperty("count").GetInt32())).ToArray();
        foreach (var (localDay, count) in dayLengths.Skip(1).SkipLast(1))
        {
            // Whole local days inside the range: one hourly bucket per local hour, six readings per hour.
            var date = DateTime.Parse(localDay, CultureInfo.InvariantCulture);
            var length = (new DateTimeOffset(date.AddDays(1), tz.GetUtcOffset(date.AddDays(1))) - new DateTimeOffset(date, tz.GetUtcOffset(date))).TotalHours;
            Assert.Equal(length, perLocalDay[localDay]);
            Assert.Equal(length * 6, count);
        }

        if (changes && zone != "Asia/Kolkata")
        {
            Assert.Contains(dayLengths.Skip(1).SkipLast(1), d => d.Count is 23 * 6 or 25 * 6);
        }
    }

    [Fact]
    public async Task An_unknown_zone_or_a_size_without_a_local_alignment_is_refused_by_name()
    {
        var (token, _) = await auth.NewCustomerAsync();
        foreach (var (zone, size, message) in new[]
        {
            ("Europe/Atlantis", 60, "timeZone 'Europe/Atlantis' is not an IANA time zone name"),
            ("Europe/Berlin", 7, "With timeZone 'Europe/Berlin', aggregationSizeMinutes must divide a day"),
        })
        {
            var (_, body) = await graphQL.PostAsync(RollupFunctions, new { size, zone }, token);
            var (code, text) = GraphQLClient.SingleError(body);
            Assert.Equal("BAD_USER_INPUT", code);
            Assert.Contains(message, text);
        }
    }

    private static readonly double[] ThreeReadings = [3.0, 1.0, 2.0];

    private sealed record Stored(Guid Device, DateTimeOffset At, double Reading);

    private sealed record Bucket(double Mean, double Min, double Max, double Sum, int Count, double? Stddev, double First, double Last, double[] Percentiles, string Label);

    private static readonly double[] Fractions = [0, 0.25, 0.5, 0.9, 1];

    /// <summary>The functions of each bucket computed here, from the rows: the independent side of the comparison.</summary>
    private static Dictionary<(Guid Device, DateTimeOffset From), Bucket> Expected(
        IEnumerable<Stored> stored, DateTimeOffset from, DateTimeOffset to, Func<DateTimeOffset, DateTimeOffset> bucketOf) =>
        stored.Where(s => s.At >= from && s.At < to)
            .GroupBy(s => (s.Device, Start: bucketOf(s.At)))
            .ToDictionary(g => (g.Key.Device, g.Key.Start), g =>
            {
                var byTime = g.OrderBy(s => s.At).ToArray();
                var values = g.Select(s => s.Reading).Order().ToArray();
                var mean = values.Average();
                double? stddev = values.Length < 2 ? null : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
                return new Bucket(mean, values[0], values[^1], values.Sum(), values.Length, stddev, byTime[0].Reading, byTime[^1].Reading,
                    [.. Fractions.Select(f => PercentileCont(values, f))], g.Key.Start.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture));
            });

    /// <summary>PostgreSQL's percentile_cont: linear between the two nearest of the sorted values.</summary>
    private static double PercentileCont(double[] sorted, double p)
    {
        var position = p * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = (int)Math.Ceiling(position);
        return sorted[below] + ((sorted[above] - sorted[below]) * (position - below));
    }

    private static DateTimeOffset Floor(DateTimeOffset time, int minutes)
    {
        var ticks = TimeSpan.FromMinutes(minutes).Ticks;
        var sinceEpoch = (time - DateTimeOffset.UnixEpoch).Ticks;   // buckets are aligned to the Unix epoch
        return DateTimeOffset.UnixEpoch.AddTicks(sinceEpoch - (sinceEpoch % ticks));
    }

    /// <summary>
    /// The local bucket: local midnight for days, or the local clock floored to the size, at the reading's own
    /// offset (these zones change offset only on the hour, so never inside a bucket of up to an hour).
    /// </summary>
    private static DateTimeOffset LocalFloor(DateTimeOffset time, TimeZoneInfo zone, int minutes)
    {
        var local = TimeZoneInfo.ConvertTime(time, zone);
        if (minutes == 1_440)
        {
            return new DateTimeOffset(local.Date, zone.GetUtcOffset(local.Date));
        }

        var sinceMidnight = (int)local.TimeOfDay.TotalMinutes;
        return new DateTimeOffset(local.Date.AddMinutes(sinceMidnight - (sinceMidnight % minutes)), local.Offset);
    }

    private async Task<Dictionary<(Guid Device, DateTimeOffset From), JsonElement>> AnsweredAsync(
        string query, string token, DateTimeOffset from, DateTimeOffset to, int size, string? zone, double? p)
    {
        var data = await graphQL.DataAsync(query, new { from = from.ToString("O"), to = to.ToString("O"), size, zone, p }, token);
        return data.GetProperty("deviceAggregates").EnumerateArray()
            .SelectMany(a => a.GetProperty("aggregatedValues").EnumerateArray().Select(v => (Key: (a.GetProperty("deviceId").GetGuid(), v.GetProperty("from").GetDateTimeOffset()), Value: v)))
            .ToDictionary(p => p.Key, p => p.Value);
    }

    private static void AssertBuckets(
        Dictionary<(Guid Device, DateTimeOffset From), Bucket> expected, Dictionary<(Guid Device, DateTimeOffset From), JsonElement> answered, string what, bool all)
    {
        Assert.True(expected.Count >= 3, $"{what}: {expected.Count} buckets are too few to prove anything");
        Assert.Equal(expected.Keys.Order(), answered.Keys.Order());
        foreach (var (key, bucket) in expected)
        {
            var got = answered[key];
            var context = $"{what}, bucket {key}: API {got.GetRawText()}, expected {bucket}";
            Assert.True(got.GetProperty("from").GetString()!.EndsWith(bucket.Label[^6..], StringComparison.Ordinal), context);
            Assert.Equal(bucket.Label, got.GetProperty("from").GetDateTimeOffset().ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture));
            var scale = Math.Max(Math.Abs(bucket.Min), Math.Abs(bucket.Max));
            Assert.True(Close(bucket.Mean, got.GetProperty("mean").GetDouble(), scale) && got.GetProperty("value").GetDouble() == got.GetProperty("mean").GetDouble(), context);
            Assert.True(Close(bucket.Sum, got.GetProperty("sum").GetDouble(), scale * bucket.Count), context);
            Assert.True((bucket.Min, bucket.Max, bucket.Count) == (got.GetProperty("min").GetDouble(), got.GetProperty("max").GetDouble(), got.GetProperty("count").GetInt32()), context);
            if (!all)
            {
                Assert.False(got.TryGetProperty("stddev", out _), context);
                continue;
            }

            Assert.True(bucket.Stddev is null ? got.GetProperty("stddev").ValueKind == JsonValueKind.Null : Close(bucket.Stddev.Value, got.GetProperty("stddev").GetDouble(), scale), context);
            Assert.True((bucket.First, bucket.Last) == (got.GetProperty("first").GetDouble(), got.GetProperty("last").GetDouble()), context);
            string[] names = ["p0", "p25", "median", "p", "p100"];
            for (var i = 0; i < names.Length; i++)
            {
                Assert.True(Close(bucket.Percentiles[i], got.GetProperty(names[i]).GetDouble(), scale), $"{names[i]}: {context}");
            }

        }
    }

    // Sums and variances added in another order differ in the last bits, relative to the bucket's largest value.
    private static bool Close(double expected, double actual, double scale) =>
        Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, scale);
}
