using System.Text.Json;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Retention;

/// <summary>
/// Per-customer retention through the running API: an administrator sets the periods and runs the job; it
/// deletes exactly the readings and rollup buckets past them, nothing of other customers and nothing inside
/// the kept window changes, older ranges are answered from the kept rollups and say so, and ingest refuses
/// readings older than what is kept.
/// </summary>
[Collection(AppHostCollection.Name)]
public class RetentionTests(AppHostFixture fixture)
{
    private const string SetRetention = """
        mutation($c: UUID!, $r: Int, $u: Int) { setRetention(customerId: $c, keepReadingsDays: $r, keepRollupsDays: $u) {
          customerId keepReadingsDays keepRollupsDays readingsDeletedBefore rollupsDeletedBefore updatedBy } }
        """;

    private const string RunRetention = "mutation { runRetention { customerId readingsCutoff rollupsCutoff readingsDeleted rollupRowsDeleted outcome } }";
    private const string Retention = "query($c: UUID) { retention(customerId: $c) { customerId keepReadingsDays keepRollupsDays readingsDeletedBefore rollupsDeletedBefore } }";
    private const string Runs = "query($c: UUID) { retentionRuns(customerId: $c) { customerId readingsDeleted rollupRowsDeleted outcome } }";

    private const string Aggregates = """
        query($from: DateTime, $to: DateTime, $size: Int, $c: UUID) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: $size, customerId: $c) { deviceId incompleteBefore aggregatedValues { from value } }
        }
        """;

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private static readonly int[] HourMinutes = [2, 7, 40];

    // Per test, not per class: a static "today" taken before midnight made the run that crossed it expect yesterday's cutoffs.
    private readonly DateTimeOffset today = TodayAwayFromMidnight();

    /// <summary>today (UTC), waiting out the last minute of a day so the job's own "today" is the same one.</summary>
    private static DateTimeOffset TodayAwayFromMidnight()
    {
        var now = DateTimeOffset.UtcNow;
        var untilMidnight = now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime;
        if (untilMidnight < TimeSpan.FromMinutes(1))
        {
            Thread.Sleep(untilMidnight + TimeSpan.FromSeconds(1));
        }

        return new(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero);
    }

    /// <summary>Three readings in the hour from 10:00, <paramref name="daysAgo"/> days before today (UTC).</summary>
    private object[] Hour(Guid device, int daysAgo, double value) =>
        [.. HourMinutes.Select((minute, i) => new
        {
            timestamp = today.AddDays(-daysAgo).AddHours(10).AddMinutes(minute).ToString("O"), reading = value + i, deviceId = device,
        })];

    private async Task<JsonElement> AggregatesAsync(string token, int size, int fromDaysAgo, int toDaysAgo = -1) =>
        (await graphQL.DataAsync(Aggregates, new { from = today.AddDays(-fromDaysAgo).AddMinutes(3).ToString("O"), to = today.AddDays(-toDaysAgo).ToString("O"), size }, token))
        .GetProperty("deviceAggregates");

    private static string Values(JsonElement aggregates) =>
        string.Join(" | ", aggregates.EnumerateArray().Select(a => a.GetProperty("deviceId") + ": " + a.GetProperty("aggregatedValues")));

    [Fact]
    public async Task The_job_deletes_exactly_what_is_past_the_periods_and_answers_say_where_data_is_missing()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (customer, customerId) = await auth.NewCustomerAsync();
        var (other, otherId) = await auth.NewCustomerAsync();
        var (device, otherDevice) = (Guid.NewGuid(), Guid.NewGuid());
        foreach (var (token, d) in new[] { (customer, device), (other, otherDevice) })
        {
            // Past both periods, past the readings' only, and inside both (30 and 90 days).
            await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = Hour(d, 120, 1).Concat(Hour(d, 60, 10)).Concat(Hour(d, 10, 100)).ToArray() }, token);
        }

        var hourlyBefore = await AggregatesAsync(customer, 60, 130);
        var minutesBefore = await AggregatesAsync(customer, 1, 20);
        var otherBefore = Values(await AggregatesAsync(other, 5, 130));

        // Only administrators set periods, within the rules.
        foreach (var (r, u) in new (int?, int?)[] { (0, null), (30, 10), (null, 90), (40_000, null) })
        {
            var (_, refused) = await graphQL.PostAsync(SetRetention, new { c = customerId, r, u }, admin);
            Assert.Equal("BAD_USER_INPUT", GraphQLClient.SingleError(refused).Code);
        }

        var (_, notAdmin) = await graphQL.PostAsync(SetRetention, new { c = customerId, r = 1 }, customer);
        Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(notAdmin).Code);
        var set = (await graphQL.DataAsync(SetRetention, new { c = customerId, r = 30, u = 90 }, admin)).GetProperty("setRetention");
        Assert.Equal((30, 90, JsonValueKind.Null), (set.GetProperty("keepReadingsDays").GetInt32(), set.GetProperty("keepRollupsDays").GetInt32(), set.GetProperty("readingsDeletedBefore").ValueKind));

        var run = (await graphQL.DataAsync(RunRetention, null, admin)).GetProperty("runRetention").EnumerateArray()
            .Single(r => r.GetProperty("customerId").GetGuid() == customerId);
        var (readingsCutoff, rollupsCutoff) = (today.AddDays(-30), today.AddDays(-90));
        Assert.Equal("completed", run.GetProperty("outcome").GetString());
        Assert.Equal((readingsCutoff, rollupsCutoff), (run.GetProperty("readingsCutoff").GetDateTimeOffset(), run.GetProperty("rollupsCutoff").GetDateTimeOffset()));
        Assert.Equal(6, run.GetProperty("readingsDeleted").GetInt64());                 // the readings of 120 and 60 days ago
        Assert.Equal(3 + 1 + 1, run.GetProperty("rollupRowsDeleted").GetInt64());       // 120 days ago: three five-minute buckets, an hour, a day

        // Beneath the API: exactly those rows are gone, the other customer's are all there.
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        async Task<long> CountAsync(string sql, Guid c) => (await Sql.ListAsync(dataSource, sql, r => r.GetInt64(0), c)).Single();
        Assert.Equal(3, await CountAsync("SELECT count(*) FROM readings WHERE customer_id = $1", customerId));
        Assert.Equal(9, await CountAsync("SELECT count(*) FROM readings WHERE customer_id = $1", otherId));
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM readings WHERE customer_id = $1 AND recorded_at < '{readingsCutoff:O}'", customerId));
        Assert.Equal(3 + 3, await CountAsync("SELECT count(*) FROM readings_five_minute WHERE customer_id = $1", customerId));
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM readings_daily WHERE customer_id = $1 AND bucket_start < '{rollupsCutoff:O}'", customerId));

        // Hourly buckets come from the kept rollups: 60 days ago as before, 120 days ago gone, and the answer says so.
        var hourlyAfter = await AggregatesAsync(customer, 60, 130);
        var hourlyValues = hourlyAfter[0].GetProperty("aggregatedValues");
        Assert.Equal(hourlyBefore[0].GetProperty("aggregatedValues")[1].ToString(), hourlyValues[0].ToString());
        Assert.Equal(hourlyBefore[0].GetProperty("aggregatedValues")[2].ToString(), hourlyValues[1].ToString());
        Assert.Equal(2, hourlyValues.GetArrayLength());
        Assert.Equal(rollupsCutoff, hourlyAfter[0].GetProperty("incompleteBefore").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, hourlyBefore[0].GetProperty("incompleteBefore").ValueKind);

        // Three-minute buckets (no rollup tiles them) need the readings: only the kept ones, and the answer says where they start.
        var minutesAll = await AggregatesAsync(customer, 3, 130);
        Assert.Equal(3, minutesAll[0].GetProperty("aggregatedValues").GetArrayLength());
        Assert.Equal(readingsCutoff, minutesAll[0].GetProperty("incompleteBefore").GetDateTimeOffset());

        // Inside the kept window nothing changed, and nothing is flagged; the other customer is untouched.
        var minutesAfter = await AggregatesAsync(customer, 1, 20);
        Assert.Equal(Values(minutesBefore), Values(minutesAfter));
        Assert.Equal(JsonValueKind.Null, minutesAfter[0].GetProperty("incompleteBefore").ValueKind);
        Assert.Equal(otherBefore, Values(await AggregatesAsync(other, 5, 130)));

        // The device's count and span are those of the readings kept.
        var devices = (await graphQL.DataAsync("{ devices { id readingCount firstReadingAt } }", null, customer)).GetProperty("devices");
        var row = devices.EnumerateArray().Single(d => d.GetProperty("id").GetGuid() == device);
        Assert.Equal(3, row.GetProperty("readingCount").GetInt32());
        Assert.Equal(today.AddDays(-10).AddHours(10).AddMinutes(2), row.GetProperty("firstReadingAt").GetDateTimeOffset());

        // A reading older than what is kept is refused, whole batch; a kept day is still accepted.
        var (_, late) = await graphQL.PostAsync(GraphQLDocuments.Ingest, new { readings = Hour(device, 10, 5).Concat(Hour(device, 60, 5)).ToArray() }, customer);
        var (code, message) = GraphQLClient.SingleError(late);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains("readings[3]", message);
        Assert.Contains("retention", message);
        Assert.Equal(3, await CountAsync("SELECT count(*) FROM readings WHERE customer_id = $1", customerId));
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = readingsCutoff.AddMinutes(1).ToString("O"), reading = 1.0, deviceId = device } } }, customer);

        // The customer sees its own retention and runs; the other sees neither, and may not ask.
        var own = (await graphQL.DataAsync(Retention, null, customer)).GetProperty("retention");
        Assert.Equal(readingsCutoff, own.GetProperty("readingsDeletedBefore").GetDateTimeOffset());
        Assert.Equal(rollupsCutoff, own.GetProperty("rollupsDeletedBefore").GetDateTimeOffset());
        Assert.Equal(6, (await graphQL.DataAsync(Runs, null, customer)).GetProperty("retentionRuns")[0].GetProperty("readingsDeleted").GetInt64());
        Assert.Equal(JsonValueKind.Null, (await graphQL.DataAsync(Retention, null, other)).GetProperty("retention").GetProperty("keepReadingsDays").ValueKind);
        Assert.Equal(0, (await graphQL.DataAsync(Runs, null, other)).GetProperty("retentionRuns").GetArrayLength());
        foreach (var query in new[] { Retention, Runs })
        {
            var (_, forbidden) = await graphQL.PostAsync(query, new { c = customerId }, other);
            Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(forbidden).Code);
        }

        // A second run finds nothing more to delete.
        var again = (await graphQL.DataAsync(RunRetention, null, admin)).GetProperty("runRetention").EnumerateArray()
            .Single(r => r.GetProperty("customerId").GetGuid() == customerId);
        Assert.Equal((0L, 0L), (again.GetProperty("readingsDeleted").GetInt64(), again.GetProperty("rollupRowsDeleted").GetInt64()));
    }

    [Fact]
    public async Task The_alert_history_of_deleted_readings_goes_with_them_and_the_kept_history_stays()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (customer, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        await graphQL.DataAsync("mutation($d: UUID!) { createAlertRule(deviceId: $d, kind: ABOVE, minutes: 0, threshold: 50) { id } }", new { d = device }, customer);

        // Raised and cleared 60 days ago (past the period), and again 10 days ago (kept).
        foreach (var daysAgo in new[] { 60, 10 })
        {
            await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = Hour(device, daysAgo, 99).Take(1).Concat(Hour(device, daysAgo, 1).Skip(1)).ToArray() }, customer);
        }

        const string History = "query($d: [UUID!]) { alerts(deviceIds: $d) { state at } }";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement before;
        do
        {
            await Task.Delay(200);
            before = (await graphQL.DataAsync(History, new { d = new[] { device } }, customer)).GetProperty("alerts");
        }
        while (before.GetArrayLength() < 4 && DateTime.UtcNow < deadline);
        Assert.Equal(4, before.GetArrayLength());

        await graphQL.DataAsync(SetRetention, new { c = customerId, r = 30, u = 90 }, admin);
        await graphQL.DataAsync(RunRetention, null, admin);

        var after = (await graphQL.DataAsync(History, new { d = new[] { device } }, customer)).GetProperty("alerts");
        Assert.Equal(2, after.GetArrayLength());
        Assert.All(after.EnumerateArray(), a => Assert.True(a.GetProperty("at").GetDateTimeOffset() >= today.AddDays(-30), a.ToString()));
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        Assert.Equal(0L, (await Sql.ListAsync(dataSource, $"SELECT count(*) FROM alert_events WHERE customer_id = $1 AND at < '{today.AddDays(-30):O}'", r => r.GetInt64(0), customerId)).Single());
    }

    [Fact]
    public async Task Deleting_in_batches_while_the_device_sends_keeps_counts_and_rollups_exact()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (customer, customerId) = await auth.NewCustomerAsync();
        var devices = new[] { Guid.NewGuid(), Guid.NewGuid() };

        // 24 000 readings 40 days ago (to be deleted: several batches of 10 000 per device), one a second.
        var old = today.AddDays(-40);
        var oldBatches = devices.SelectMany(d => Enumerable.Range(0, 12).Select(b => Enumerable.Range(0, 1_000).Select(i => new
        {
            timestamp = old.AddSeconds((b * 1_000) + i).ToString("O"), reading = (double)(i % 97), deviceId = d,
        }).ToArray())).ToList();
        await graphQL.IngestConcurrentlyAsync(oldBatches, customer, senders: 2);
        await graphQL.DataAsync(SetRetention, new { c = customerId, r = 30 }, admin);

        // The devices keep sending recent readings while the job deletes their old ones.
        var recent = today.AddDays(-1);
        var sending = Task.Run(async () =>
        {
            for (var b = 0; b < 20; b++)
            {
                await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = devices.SelectMany(d => Enumerable.Range(0, 100).Select(i => new
                {
                    timestamp = recent.AddSeconds((b * 100) + i).ToString("O"), reading = (double)i, deviceId = d,
                })).ToArray() }, customer);
            }
        });
        var run = (await graphQL.DataAsync(RunRetention, null, admin)).GetProperty("runRetention").EnumerateArray()
            .Single(r => r.GetProperty("customerId").GetGuid() == customerId);
        await sending;

        Assert.Equal(24_000, run.GetProperty("readingsDeleted").GetInt64());
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);

        // Each series' count and span equal its stored readings'; the five-minute rollup equals them bucket by bucket.
        var mismatched = await Sql.ListAsync(dataSource, """
            SELECT d.id FROM series d
            CROSS JOIN LATERAL (SELECT count(*) AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at
                                FROM readings r WHERE r.customer_id = d.customer_id AND r.series_id = d.id) s
            WHERE d.customer_id = $1 AND (d.reading_count <> s.n OR d.first_reading_at IS DISTINCT FROM s.first_at OR d.last_reading_at IS DISTINCT FROM s.last_at)
            """, r => r.GetGuid(0), customerId);
        Assert.Empty(mismatched);
        Assert.Equal(4_000, (await Sql.ListAsync(dataSource, "SELECT count(*) FROM readings WHERE customer_id = $1", r => r.GetInt64(0), customerId)).Single());
        var rollupOff = await Sql.ListAsync(dataSource, """
            SELECT count(*) FROM (
                SELECT series_id, date_bin(INTERVAL '5 minutes', recorded_at, TIMESTAMPTZ '1970-01-01') AS b, count(*) AS n, sum(reading) AS s FROM readings WHERE customer_id = $1 GROUP BY 1, 2) raw
            FULL JOIN (SELECT series_id, bucket_start AS b, reading_count AS n, reading_sum AS s FROM readings_five_minute WHERE customer_id = $1) rollup USING (series_id, b)
            WHERE (raw.n, raw.s) IS DISTINCT FROM (rollup.n, rollup.s) AND coalesce(raw.b, rollup.b) >= $2
            """, r => r.GetInt64(0), customerId, today.AddDays(-30));
        Assert.Equal(0, rollupOff.Single());
    }
}
