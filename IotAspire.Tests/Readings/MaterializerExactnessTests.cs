using System.Globalization;
using System.Text.Json;
using IotAspire.Bench.Grafana;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Readings;

/// <summary>
/// The rollups are folded after commit (Materialization/), yet every answer must equal the readings at every
/// moment: while batches are pending (the materializer held off), while it is catching up, and after it. Batches
/// arrive as fleets send them, one value per device after another in arrival order, each under one of two keys
/// (a device's series), from several senders at once, with late values, repeated batches and changed values among
/// them. Aggregates, group aggregates, devices, latest values and the Grafana panels are compared with SQL over the stored values.
/// </summary>
[Collection(AppHostCollection.Name)]
public class MaterializerExactnessTests(AppHostFixture fixture)
{
    private const double Tolerance = 1e-9;
    private const int Devices = 8;
    private static readonly int[] Sizes = [5, 60, 1_440, 15, 7, 120];
    private static readonly string[] Keys = ["reading", "temperature"];

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Aggregates_devices_and_Grafana_panels_equal_the_readings_while_pending_while_catching_up_and_after()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var devices = Enumerable.Range(0, Devices).Select(_ => Guid.NewGuid()).ToArray();
        var random = new Random(20261204);
        var origin = new DateTimeOffset(2025, 6, 30, 22, 0, 0, TimeSpan.Zero);   // the run crosses midnight
        var connection = await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase);
        await using var dataSource = NpgsqlDataSource.Create(connection);
        await using var grafana = NpgsqlDataSource.Create(RunningAppHost.AsGrafanaReader(connection));
        // The devices are claimed first: claiming a device waits for the materializer's turn (the device's row is
        // set from the readings), which the held rounds below keep.
        Dictionary<string, object>[] claim = [.. devices.Select(d => Reading(origin.AddSeconds(-30), 1, d))];
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = claim }, token);
        var sent = new List<Dictionary<string, object>[]> { claim };
        // Two sites and an untagged device, for groupAggregates (group null).
        for (var d = 0; d < Devices; d++)
        {
            await graphQL.DataAsync("mutation($d: UUID!, $t: [TagInput!]) { setDeviceAttributes(deviceId: $d, tags: $t) { id } }",
                new { d = devices[d], t = d % 3 == 2 ? Array.Empty<object>() : new object[] { new { name = "site", value = d % 3 == 0 ? "a" : "b" } } }, token);
        }

        var tick = 0;

        for (var round = 0; round < 6; round++)
        {
            // Arrival order: each batch is every device's next reading (20 s apart); a few late readings of an
            // earlier time ride along; some batches come twice, some again with other values.
            var batches = new List<Dictionary<string, object>[]>();
            for (var b = 0; b < 24; b++, tick++)
            {
                var at = origin.AddSeconds(20 * tick);
                var batch = devices.Select(d => Reading(at, Math.Round(random.NextDouble() * 100, 3), d, Keys[random.Next(Keys.Length)])).ToList();
                batch.Add(Reading(origin.AddSeconds(20 * random.Next(tick + 1)).AddMilliseconds(random.Next(1, 999)), -random.Next(50), devices[random.Next(Devices)],
                    Keys[random.Next(Keys.Length)]));
                batches.Add([.. batch]);
                if (random.Next(5) == 0 && sent.Count > 0)
                {
                    batches.Add(sent[random.Next(sent.Count)]);   // repeated as sent
                }

                if (random.Next(5) == 0 && sent.Count > 0)
                {
                    var again = sent[random.Next(sent.Count)];
                    batches.Add([.. again.Select(r => Changed(r, random))]);   // the same times, other values
                }
            }

            sent.AddRange(batches);
            // Even rounds: the materializer is held off, so every comparison sees pending batches. Odd rounds: it
            // runs, and the comparisons race it.
            await using (round % 2 == 0 ? await Rollups.HoldMaterializerAsync(dataSource) : null)
            {
                await graphQL.IngestConcurrentlyAsync(batches, token, senders: 3);
                if (round % 2 == 0)
                {
                    Assert.True(await Rollups.PendingRowsAsync(dataSource, customerId) > 0, "The held-off round left nothing pending: it proves nothing.");
                }

                await AssertExactAsync(dataSource, grafana, token, customerId, devices, origin, origin.AddSeconds(20 * tick), random);
            }
        }

        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
        await AssertExactAsync(dataSource, grafana, token, customerId, devices, origin, origin.AddSeconds(20 * tick), random);
        foreach (var (table, grain) in new[] { ("readings_five_minute", "5 minutes"), ("readings_hourly", "1 hour"), ("readings_daily", "1 day") })
        {
            var expected = await Sql.ListAsync(dataSource, $"""
                SELECT series_id, date_bin(INTERVAL '{grain}', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), count(*), min(reading), max(reading)
                FROM readings WHERE customer_id = $1 GROUP BY 1, 2 ORDER BY 1, 2
                """, Sql.Values, customerId);
            var rollup = await Sql.ListAsync(dataSource, $"SELECT series_id, bucket_start, reading_count, reading_min, reading_max FROM {table} WHERE customer_id = $1 ORDER BY 1, 2",
                Sql.Values, customerId);
            Assert.Equal(expected.Select(r => string.Join(' ', r)), rollup.Select(r => string.Join(' ', r)));
        }
    }

    /// <summary>
    /// A pass over several customers' pending batches, folded on several connections at once (the tests' API runs with
    /// Materializer:FoldConnections=3, RunningAppHost). Each customer's rollups, counts and newest values equal SQL over
    /// its stored values after it, with late and changed values among the batches.
    /// </summary>
    [Fact]
    public async Task A_pass_over_several_customers_folds_each_exactly()
    {
        var connection = await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase);
        await using var dataSource = NpgsqlDataSource.Create(connection);
        var customers = new List<(string Token, Guid Customer)>();
        for (var c = 0; c < 6; c++)
        {
            customers.Add(await auth.NewCustomerAsync());
        }

        var random = new Random(20261207);
        var origin = new DateTimeOffset(2025, 7, 1, 23, 50, 0, TimeSpan.Zero);
        await using (await Rollups.HoldMaterializerAsync(dataSource))
        {
            await Task.WhenAll(customers.Select(async c =>
            {
                var devices = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToArray();
                for (var b = 0; b < 12; b++)
                {
                    // Every device's next value under a key of its own choosing, a late one, and now and then the first batch again, changed.
                    var batch = devices.Select(d => Reading(origin.AddSeconds(30 * b), Math.Round(random.NextDouble() * 100, 3), d, Keys[random.Next(Keys.Length)])).ToList();
                    batch.Add(Reading(origin.AddSeconds(30 * random.Next(b + 1)).AddMilliseconds(7), -b, devices[0], Keys[0]));
                    await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = batch.ToArray() }, c.Token);
                }
            }));
            foreach (var (_, customer) in customers)
            {
                Assert.True(await Rollups.PendingRowsAsync(dataSource, customer) > 0, "A customer left nothing pending: the pass would not hold it.");
            }
        }

        foreach (var (_, customer) in customers)
        {
            await Rollups.WaitUntilFoldedAsync(dataSource, customer);
            var expected = await Sql.ListAsync(dataSource, """
                SELECT series_id, date_bin(INTERVAL '5 minutes', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), count(*), min(reading), max(reading)
                FROM readings WHERE customer_id = $1 GROUP BY 1, 2 ORDER BY 1, 2
                """, Sql.Values, customer);
            var rollup = await Sql.ListAsync(dataSource,
                "SELECT series_id, bucket_start, reading_count, reading_min, reading_max FROM readings_five_minute WHERE customer_id = $1 ORDER BY 1, 2",
                Sql.Values, customer);
            Assert.Equal(expected.Select(r => string.Join(' ', r)), rollup.Select(r => string.Join(' ', r)));
            var newest = await Sql.ListAsync(dataSource, """
                SELECT s.id, s.reading_count = (SELECT count(*) FROM readings r WHERE r.customer_id = s.customer_id AND r.series_id = s.id),
                       (s.last_reading_at, s.last_reading) = (SELECT recorded_at, reading FROM readings r WHERE r.customer_id = s.customer_id AND r.series_id = s.id ORDER BY recorded_at DESC LIMIT 1)
                FROM series s WHERE s.customer_id = $1
                """, r => (r.GetBoolean(1), r.GetBoolean(2)), customer);
            Assert.NotEmpty(newest);
            Assert.All(newest, n => Assert.Equal((true, true), n));
        }
    }

    [Fact]
    public async Task RollupStatus_shows_what_waits_to_administrators_only()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var admin = await auth.AdminAccessTokenAsync();
        var device = Guid.NewGuid();
        var minute = DateTimeOffset.UnixEpoch.AddMinutes(Math.Floor((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalMinutes));
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { Reading(minute.AddMinutes(-2), 1, device) } }, token);
        const string Status = "{ rollupStatus { pendingRows oldestPendingAt lagSeconds } }";

        await using (await Rollups.HoldMaterializerAsync(dataSource))
        {
            await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { Reading(minute.AddMinutes(-1), 2, device) } }, token);
            await Task.Delay(300);
            var held = (await graphQL.DataAsync(Status, null, admin)).GetProperty("rollupStatus");
            Assert.True(held.GetProperty("pendingRows").GetInt32() >= 1);
            Assert.True(held.GetProperty("lagSeconds").GetDouble() >= 0.3, $"lag {held.GetProperty("lagSeconds").GetDouble()} s while held");
            Assert.NotEqual(JsonValueKind.Null, held.GetProperty("oldestPendingAt").ValueKind);

            var (_, refused) = await graphQL.PostAsync(Status, null, token);
            Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(refused).Code);
        }

        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
    }

    private static Dictionary<string, object> Reading(DateTimeOffset at, double value, Guid device, string key = "reading") =>
        new() { ["timestamp"] = at.ToString("O"), ["reading"] = value, ["deviceId"] = device, ["key"] = key };

    private static Guid SeriesOf(JsonElement answer) => Api.ReadingsStore.SeriesIds.Of(answer.GetProperty("deviceId").GetGuid(), answer.GetProperty("key").GetString()!);

    private static Dictionary<string, object> Changed(Dictionary<string, object> reading, Random random) =>
        new(reading) { ["reading"] = Math.Round(random.NextDouble() * 1_000, 2) };

    private async Task AssertExactAsync(NpgsqlDataSource dataSource, NpgsqlDataSource grafana, string token, Guid customerId, Guid[] devices,
        DateTimeOffset first, DateTimeOffset end, Random random)
    {
        // deviceAggregates over a random range with unaligned ends, at sizes served by each rollup and by none.
        foreach (var size in Sizes)
        {
            var from = first.AddSeconds(-random.Next(3_600));
            var to = end.AddSeconds(random.Next(1, 3_600));
            var data = await graphQL.DataAsync(
                "query($f: DateTime, $t: DateTime, $s: Int) { deviceAggregates(from: $f, to: $t, aggregationSizeMinutes: $s) { deviceId key aggregatedValues { from sum count min max } } }",
                new { f = from.ToString("O"), t = to.ToString("O"), s = size }, token);
            var answered = data.GetProperty("deviceAggregates").EnumerateArray()
                .SelectMany(a => a.GetProperty("aggregatedValues").EnumerateArray().Select(v => (
                    Key: $"{SeriesOf(a)} {v.GetProperty("from").GetDateTimeOffset():O}",
                    Value: (v.GetProperty("sum").GetDouble(), v.GetProperty("count").GetInt32(), v.GetProperty("min").GetDouble(), v.GetProperty("max").GetDouble()))))
                .ToDictionary(p => p.Key, p => p.Value);
            var expected = await Sql.ListAsync(dataSource, """
                SELECT series_id, date_bin(make_interval(mins => $4), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), sum(reading), count(*)::int, min(reading), max(reading)
                FROM readings WHERE customer_id = $1 AND recorded_at >= $2 AND recorded_at < $3 GROUP BY 1, 2
                """, r => (Key: $"{r.GetGuid(0)} {r.GetFieldValue<DateTimeOffset>(1):O}", Value: (r.GetDouble(2), r.GetInt32(3), r.GetDouble(4), r.GetDouble(5))),
                customerId, from, to, size);
            Assert.Equal(expected.Select(e => e.Key).Order(), answered.Keys.Order());
            foreach (var (key, (sum, count, min, max)) in expected)
            {
                var got = answered[key];
                Assert.True(Close(sum, got.Item1) && (count, min, max) == (got.Item2, got.Item3, got.Item4),
                    string.Create(CultureInfo.InvariantCulture, $"{size}-minute bucket {key}: API {got}, readings ({sum}, {count}, {min}, {max})"));
            }
        }

        // groupAggregates: per site and bucket, over every reading of the site's devices (the untagged device: group null).
        foreach (var size in new[] { 7, 60 })
        {
            var from = first.AddSeconds(-random.Next(3_600));
            var to = end.AddSeconds(random.Next(1, 3_600));
            var groups = (await graphQL.DataAsync(
                "query($f: DateTime, $t: DateTime, $s: Int) { groupAggregates(key: \"temperature\", groupBy: \"site\", from: $f, to: $t, aggregationSizeMinutes: $s) { group aggregatedValues { from sum count min max } } }",
                new { f = from.ToString("O"), t = to.ToString("O"), s = size }, token)).GetProperty("groupAggregates").EnumerateArray()
                .SelectMany(g => g.GetProperty("aggregatedValues").EnumerateArray().Where(v => v.GetProperty("count").GetInt32() > 0).Select(v => (
                    Key: $"{g.GetProperty("group").GetString() ?? "-"} {v.GetProperty("from").GetDateTimeOffset():O}",
                    Value: (v.GetProperty("sum").GetDouble(), v.GetProperty("count").GetInt32(), v.GetProperty("min").GetDouble(), v.GetProperty("max").GetDouble()))))
                .ToDictionary(p => p.Key, p => p.Value);
            var expected = await Sql.ListAsync(dataSource, """
                SELECT coalesce(d.tags ->> 'site', '-'), date_bin(make_interval(mins => $4), r.recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                       sum(r.reading), count(*)::int, min(r.reading), max(r.reading)
                FROM readings r JOIN series s ON s.customer_id = r.customer_id AND s.id = r.series_id
                JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id
                WHERE r.customer_id = $1 AND s.key = 'temperature' AND r.recorded_at >= $2 AND r.recorded_at < $3 GROUP BY 1, 2
                """, r => (Key: $"{r.GetString(0)} {r.GetFieldValue<DateTimeOffset>(1):O}", Value: (r.GetDouble(2), r.GetInt32(3), r.GetDouble(4), r.GetDouble(5))),
                customerId, from, to, size);
            Assert.Contains(expected, e => e.Key.StartsWith("- ", StringComparison.Ordinal));   // the untagged device's group is compared too
            Assert.Equal(expected.Select(e => e.Key).Order(), groups.Keys.Order());
            foreach (var (key, (sum, count, min, max)) in expected)
            {
                var got = groups[key];
                Assert.True(Close(sum, got.Item1) && (count, min, max) == (got.Item2, got.Item3, got.Item4),
                    string.Create(CultureInfo.InvariantCulture, $"group {size}-minute bucket {key}: API {got}, readings ({sum}, {count}, {min}, {max})"));
            }
        }

        // devices: each device's count and span over its keys.
        var listed = (await graphQL.DataAsync("{ devices { id readingCount firstReadingAt lastReadingAt } }", null, token)).GetProperty("devices").EnumerateArray()
            .ToDictionary(d => d.GetProperty("id").GetGuid(), d => (d.GetProperty("readingCount").GetInt32(), d.GetProperty("firstReadingAt").GetDateTimeOffset(), d.GetProperty("lastReadingAt").GetDateTimeOffset()));
        var stored = await Sql.ListAsync(dataSource, """
            SELECT s.device_id, count(*)::int, min(r.recorded_at), max(r.recorded_at)
            FROM readings r JOIN series s ON s.customer_id = r.customer_id AND s.id = r.series_id WHERE r.customer_id = $1 GROUP BY 1
            """, r => (r.GetGuid(0), (r.GetInt32(1), r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<DateTimeOffset>(3))), customerId);
        Assert.Equal(stored.ToDictionary(s => s.Item1, s => s.Item2).OrderBy(p => p.Key), listed.OrderBy(p => p.Key));

        // latest: each series' newest value.
        var latest = (await graphQL.DataAsync("{ latest { deviceId key timestamp value } }", null, token)).GetProperty("latest").EnumerateArray()
            .ToDictionary(SeriesOf, l => (l.GetProperty("timestamp").GetDateTimeOffset(), l.GetProperty("value").GetDouble()));
        var newest = await Sql.ListAsync(dataSource, "SELECT DISTINCT ON (series_id) series_id, recorded_at, reading FROM readings WHERE customer_id = $1 ORDER BY series_id, recorded_at DESC",
            r => (r.GetGuid(0), (r.GetFieldValue<DateTimeOffset>(1), r.GetDouble(2))), customerId);
        Assert.Equal(newest.ToDictionary(n => n.Item1, n => n.Item2).OrderBy(p => p.Key), latest.OrderBy(p => p.Key));

        // Grafana: the mean panel at each rollup's size and the devices-and-readings panel, as its read-only role.
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "grafana", "dashboards", "iot-readings.json"))).RootElement;
        string Panel(string title) => dashboard.GetProperty("panels").EnumerateArray().First(p => p.GetProperty("title").GetString() == title)
            .GetProperty("targets")[0].GetProperty("rawSql").GetString()!;
        var multi = new Dictionary<string, IReadOnlyList<string>>
        {
            ["customer"] = [customerId.ToString()], ["device"] = [.. devices.Select(d => d.ToString())], ["key"] = Keys,
            ["series"] = [.. devices.SelectMany(d => Keys.Select(k => Api.ReadingsStore.SeriesIds.Of(d, k).ToString()))],
        };
        var (panelFrom, panelTo) = (first.AddSeconds(-random.Next(3_600)), end.AddSeconds(random.Next(3_600)));   // inclusive end
        foreach (var (bucket, grain) in new[] { ("5m", "5 minutes"), ("1h", "1 hour"), ("1d", "1 day") })
        {
            var rows = await Sql.ListAsync(grafana, GrafanaMacros.Expand(Panel("Mean value per device and key"), panelFrom, panelTo, multi, new Dictionary<string, string> { ["bucket"] = bucket }),
                r => (Key: $"{Api.ReadingsStore.SeriesIds.Of(Guid.Parse(r.GetString(1).Split(' ')[0]), r.GetString(1).Split(' ')[1])} {DateTimeOffset.FromUnixTimeSeconds((long)Convert.ToDouble(r.GetValue(0), CultureInfo.InvariantCulture)):O}", Mean: r.GetDouble(2)));
            var expected = await Sql.ListAsync(dataSource, $"""
                SELECT series_id, date_bin(INTERVAL '{grain}', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), avg(reading)
                FROM readings WHERE customer_id = $1 AND recorded_at >= $2 AND recorded_at <= $3 GROUP BY 1, 2
                """, r => (Key: $"{r.GetGuid(0)} {r.GetFieldValue<DateTimeOffset>(1):O}", Mean: r.GetDouble(2)), customerId, panelFrom, panelTo);
            Assert.Equal(expected.Select(e => e.Key).Order(), rows.Select(r => r.Key).Order());
            var means = rows.ToDictionary(r => r.Key, r => r.Mean);
            Assert.All(expected, e => Assert.True(Close(e.Mean, means[e.Key]), $"Grafana {bucket} {e.Key}: {means[e.Key]}, readings {e.Mean}"));
        }

        var counted = await Sql.ListAsync(grafana, GrafanaMacros.Expand(Panel("Devices and values in range"), panelFrom, panelTo, multi, new Dictionary<string, string> { ["bucket"] = "5m" }),
            r => Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture));
        var readingsInRange = await Sql.ListAsync(dataSource, "SELECT count(*) FROM readings WHERE customer_id = $1 AND recorded_at >= $2 AND recorded_at <= $3",
            r => r.GetInt64(0), customerId, panelFrom, panelTo);
        Assert.Equal(readingsInRange, counted);
    }

    private static bool Close(double expected, double actual) => Math.Abs(expected - actual) <= Tolerance * Math.Max(1, Math.Abs(expected));
}
