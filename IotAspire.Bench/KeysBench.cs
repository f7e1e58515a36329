using System.Diagnostics;
using IotAspire.Api.ReadingsStore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Bench;

/// <summary>One figure of the keys section: what, the API's (or the stored layout's) figure, the baseline's, and their unit.</summary>
public sealed record KeysFigure(string What, double Ours, double? Baseline, string Unit, string BaselineName = "")
{
    /// <summary>Ours over the baseline (throughput: higher is better; times and bytes: lower is better).</summary>
    public double? Ratio => Baseline is > 0 ? Ours / Baseline : null;
}

/// <summary>
/// Named values per device (issue 31), measured side by side in one run: the smart-meter shape (3 keys a message, 1 000
/// messages a batch, 2 clients) over HTTP against binary COPY of the same rows, and today's single-key arrival order
/// beside it; bytes per stored value of the chosen layout (series ids) against today's rows and a narrow key-id layout;
/// reads of one key, of groups and of latest values against the plain SQL that gives the same answer; and the upgrade of
/// 10 M readings stored before keys.
/// </summary>
public sealed class KeysBench(SystemClient client, NpgsqlDataSource owner, BenchOptions options, BenchTarget target)
{
    private static readonly Guid KeysCustomer = Guid.Parse("b4000000-0000-4000-8000-000000000000");
    private static readonly string[] Keys = ["voltage", "current", "power"];
    private const int Groups = 10;
    private const string CopyTable = "bench_keys_copy";

    private int Devices => options.Quick ? 30 : 1_000;
    private int Days => options.Quick ? 2 : 7;
    private const int StepMinutes = 3;

    /// <summary>Timed runs of each read at least (API and plain SQL alternating): a read takes milliseconds, and the median of 20 swung by a third.</summary>
    private const int ReadIterations = 60;

    /// <summary>The longest a read's warm-up runs: the plain SQL of a week over 1 000 devices takes seconds a call.</summary>
    private static readonly TimeSpan WarmUpBudget = TimeSpan.FromSeconds(15);

    private long Values => (long)Devices * Keys.Length * (Days * 1_440 / StepMinutes);

    /// <summary>The reads alone, over the data set (written first when it is not there): <c>--sections keys-reads</c>.</summary>
    public async Task<IReadOnlyList<KeysFigure>> RunReadsAsync(Action<string> progress, CancellationToken ct)
    {
        await EnsureDataAsync(progress, ct);
        return await ReadsAsync(progress, ct);
    }

    /// <summary>The ingest alone (smart-meter and single-key shapes against COPY), beside the data set: <c>--sections keys-ingest</c>.</summary>
    public async Task<IReadOnlyList<KeysFigure>> RunIngestAsync(Action<string> progress, CancellationToken ct)
    {
        await EnsureDataAsync(progress, ct);
        return await IngestAsync(SystemClient.Tokens(client.AdminTokenAsync, ct), progress, ct);
    }

    public async Task<IReadOnlyList<KeysFigure>> RunAsync(Action<string> progress, CancellationToken ct)
    {
        var figures = new List<KeysFigure>();
        var admin = SystemClient.Tokens(client.AdminTokenAsync, ct);
        await EnsureDataAsync(progress, ct);
        figures.AddRange(await BytesPerValueAsync(progress, ct));
        figures.AddRange(await IngestAsync(admin, progress, ct));
        figures.AddRange(await ReadsAsync(progress, ct));
        figures.Add(await UpgradeAsync(progress, ct));
        return figures;
    }

    private Guid Device(int d) => Guid.Parse($"b4100000-0000-4000-8000-{d:D12}", System.Globalization.CultureInfo.InvariantCulture);

    private async Task EnsureDataAsync(Action<string> progress, CancellationToken ct)
    {
        await DataSet.WaitUntilFoldedAsync(owner, ct);
        if (await ScalarAsync<long>("SELECT coalesce(sum(reading_count), 0)::bigint FROM series WHERE customer_id = @c", ct) == Values)
        {
            await KeepLatestAsync(progress, ct);
            await TagAsync(ct);
            return;
        }

        await DataSet.RemoveAsync(owner, [KeysCustomer], ct);
        var writer = new ReadingsWriter(owner);
        var end = BenchOptions.DataEnd;
        var steps = Days * 1_440 / StepMinutes;
        var batch = new List<ReadingToStore>(30_000);
        long written = 0;
        for (var s = 0; s < steps; s++)
        {
            var at = end.AddMinutes(-(steps - s) * StepMinutes);
            for (var d = 0; d < Devices; d++)
            {
                for (var k = 0; k < Keys.Length; k++)
                {
                    batch.Add(new ReadingToStore(KeysCustomer, Device(d), at, Math.Round(230 + (k * 10) + ((s * 7 + d * 13 + k) % 100 / 10.0), 2), Keys[k]));
                }
            }

            if (batch.Count >= 30_000 || s == steps - 1)
            {
                await writer.WriteAsync(batch, ct);
                written += batch.Count;
                batch.Clear();
                progress($"keys: writing {Values:N0} values ({written * 100 / Values} %)");
            }
        }

        await TagAsync(ct);
        progress("keys: waiting for the rollups");
        await DataSet.WaitUntilFoldedAsync(owner, ct);
        await ExecuteAsync("VACUUM (ANALYZE) readings, series, devices, readings_five_minute, readings_hourly, readings_daily", ct, noCustomer: true);
    }

    /// <summary>
    /// A data set kept from before the materializer kept each series' newest value (SeriesLatestValue) has none on its
    /// series' rows, as any upgraded installation until its devices send again: each series' newest reading is written
    /// again through the writer, changed and then as it was (a value written unchanged leaves nothing to fold on Citus),
    /// and folded, so latest is measured as a running system answers it.
    /// </summary>
    private async Task KeepLatestAsync(Action<string> progress, CancellationToken ct)
    {
        var newest = new List<ReadingToStore>();
        await using (var command = owner.CreateCommand("""
            SELECT s.device_id, s.key, r.recorded_at, r.reading FROM series s
            JOIN readings r ON r.customer_id = s.customer_id AND r.series_id = s.id AND r.recorded_at = s.last_reading_at
            WHERE s.customer_id = @c AND s.last_reading IS NULL
            """))
        {
            command.Parameters.Add(new NpgsqlParameter("c", KeysCustomer));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                newest.Add(new ReadingToStore(KeysCustomer, reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(2), reader.GetDouble(3), reader.GetString(1)));
            }
        }

        if (newest.Count == 0)
        {
            return;
        }

        progress($"keys: writing the newest reading of {newest.Count:N0} series again (kept data set)");
        var writer = new ReadingsWriter(owner);
        await writer.WriteAsync([.. newest.Select(r => r with { Value = r.Value + 1 })], ct);
        await writer.WriteAsync(newest, ct);
        await DataSet.WaitUntilFoldedAsync(owner, ct);
    }

    /// <summary>
    /// Bytes per stored value (heap and indexes): the readings table as it is, and a sample of the keys customer's values
    /// stored three ways in tables of their own: today's layout (series id in place of the device id), the layout before
    /// keys (one value per row, device id), and a narrow layout with a small key id beside the device id.
    /// </summary>
    private async Task<IReadOnlyList<KeysFigure>> BytesPerValueAsync(Action<string> progress, CancellationToken ct)
    {
        progress("keys: bytes per stored value");
        var sample = options.Quick ? 20_000 : 1_000_000;
        // On Citus the coordinator holds none of a distributed table's rows: its size is the shards', which Citus sums.
        var size = await ScalarAsync<bool>("SELECT to_regclass('pg_dist_partition') IS NOT NULL", ct)
            ? "citus_total_relation_size('readings')" : "pg_total_relation_size('readings')";
        var whole = await ScalarAsync<double>($"SELECT ({size}::float8 / greatest((SELECT count(*) FROM readings), 1))", ct);
        async Task<double> LayoutAsync(string create, string fill)
        {
            await ExecuteAsync("DROP TABLE IF EXISTS bench_layout; " + create, ct);
            await ExecuteAsync(fill.Replace("@n", sample.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), ct);
            await ExecuteAsync("VACUUM (ANALYZE) bench_layout", ct, noCustomer: true);
            var bytes = await ScalarAsync<double>("SELECT pg_total_relation_size('bench_layout')::float8 / (SELECT count(*) FROM bench_layout)", ct);
            await ExecuteAsync("DROP TABLE bench_layout", ct);
            return bytes;
        }

        const string Sample = "SELECT customer_id, series_id, recorded_at, reading, ingested_at FROM readings WHERE customer_id = @c ORDER BY series_id, recorded_at LIMIT @n";
        var series = await LayoutAsync(
            "CREATE TABLE bench_layout (customer_id uuid, series_id uuid, recorded_at timestamptz, reading float8, ingested_at timestamptz, PRIMARY KEY (customer_id, series_id, recorded_at) INCLUDE (reading)); CREATE INDEX ON bench_layout USING brin (ingested_at)",
            "INSERT INTO bench_layout " + Sample);
        var before = await LayoutAsync(
            "CREATE TABLE bench_layout (customer_id uuid, device_id uuid, recorded_at timestamptz, reading float8, ingested_at timestamptz, PRIMARY KEY (customer_id, device_id, recorded_at) INCLUDE (reading)); CREATE INDEX ON bench_layout USING brin (ingested_at)",
            "INSERT INTO bench_layout " + Sample);
        var keyId = await LayoutAsync(
            "CREATE TABLE bench_layout (customer_id uuid, device_id uuid, key_id smallint, recorded_at timestamptz, reading float8, ingested_at timestamptz, PRIMARY KEY (customer_id, device_id, key_id, recorded_at) INCLUDE (reading)); CREATE INDEX ON bench_layout USING brin (ingested_at)",
            $"INSERT INTO bench_layout SELECT r.customer_id, s.device_id, array_position(ARRAY['{string.Join("','", Keys)}'], s.key)::smallint, r.recorded_at, r.reading, r.ingested_at FROM ({Sample}) r JOIN series s ON s.customer_id = r.customer_id AND s.id = r.series_id");
        return
        [
            new KeysFigure("bytes per value: readings table as stored (heap and indexes, every customer)", whole, null, "B"),
            new KeysFigure($"bytes per value, {sample:N0} values: series-id rows (chosen) vs one value per device row (before keys)", series, before, "B", "before keys"),
            new KeysFigure($"bytes per value, {sample:N0} values: device id + smallint key id rows vs series-id rows", keyId, series, "B", "series-id rows"),
        ];
    }

    /// <summary>
    /// The smart-meter shape in arrival order: 1 000 devices of 100 customers, a message of 3 keys from each in every batch,
    /// 2 clients, over HTTP (ingestMessages, as an administrator naming each customer) against binary COPY of the same
    /// rows into a table of the readings' shape; then the single-key arrival order (ingestReadings) the same way.
    /// </summary>
    private async Task<IReadOnlyList<KeysFigure>> IngestAsync(Func<Task<string>> admin, Action<string> progress, CancellationToken ct)
    {
        var customers = Enumerable.Range(0, 100).Select(c => Guid.Parse($"b4200000-0000-4000-8000-{c:D12}", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        await DataSet.RemoveAsync(owner, customers, ct);
        var fleet = customers.SelectMany(c => Enumerable.Range(0, 10).Select(_ => (Customer: c, Device: Guid.NewGuid()))).ToArray();
        const int Clients = 2;
        var batchesPerClient = options.Quick ? 2 : 40;
        var origin = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);
        List<(DateTimeOffset At, int Tick)>[] Ticks(int offset) => [.. Enumerable.Range(0, Clients).Select(c =>
            Enumerable.Range(0, batchesPerClient).Select(b => (origin.AddDays(offset).AddSeconds(10 * ((b * Clients) + c)), (b * Clients) + c)).ToList())];
        await ExecuteAsync($"DROP TABLE IF EXISTS {CopyTable}; CREATE TABLE {CopyTable} (LIKE readings INCLUDING ALL)", ct);

        // Warm the API's message path (the JIT) with a few batches of other times.
        foreach (var (at, tick) in Ticks(-10)[0].Take(3))
        {
            await client.GraphQLAsync(MessagesBody(fleet, at, tick), await admin(), ct);
        }

        progress("keys: smart-meter ingest over HTTP");
        var lags = new List<double>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var status = await client.GraphQLAsync(SystemClient.Request("{ rollupStatus { lagSeconds } }", new { }), await admin(), ct);
                lags.Add(status.GetProperty("rollupStatus").GetProperty("lagSeconds").GetDouble());
                await Task.Delay(200, CancellationToken.None);
            }
        }, CancellationToken.None);
        var values = Clients * batchesPerClient * fleet.Length * Keys.Length;
        var http = await RateAsync(values, Ticks(0).Select(ticks => (Func<Task>)(async () =>
        {
            foreach (var (at, tick) in ticks)
            {
                await client.GraphQLAsync(MessagesBody(fleet, at, tick), await admin(), ct);
            }
        })));
        await sampling.CancelAsync();
        await sampler;
        lags.Sort();
        // The writer called directly with the same rows (other times): what PostgreSQL and the writer's statements cost,
        // without HTTP, GraphQL and the API's checks.
        progress("keys: smart-meter rows through ReadingsWriter");
        var direct = await RateAsync(values, Ticks(2).Select(ticks => (Func<Task>)(async () =>
        {
            var writer = new ReadingsWriter(owner);
            foreach (var (at, tick) in ticks)
            {
                await writer.WriteAsync([.. fleet.SelectMany((d, i) => Keys.Select((k, j) => new ReadingToStore(d.Customer, d.Device, at, Value(tick, i, j), k)))], ct);
            }
        })));
        progress("keys: smart-meter rows by binary COPY");
        var copy = await RateAsync(values, Ticks(0).Select(ticks => (Func<Task>)(() => CopyAsync(fleet, ticks, Keys, ct))));

        progress("keys: single-key arrival order over HTTP and by COPY");
        await ExecuteAsync($"TRUNCATE {CopyTable}", ct);
        var readings = Clients * batchesPerClient * fleet.Length;
        var single = await RateAsync(readings, Ticks(1).Select(ticks => (Func<Task>)(async () =>
        {
            foreach (var (at, tick) in ticks)
            {
                await client.GraphQLAsync(ReadingsBody(fleet, at, tick), await admin(), ct);
            }
        })));
        var singleCopy = await RateAsync(readings, Ticks(1).Select(ticks => (Func<Task>)(() => CopyAsync(fleet, ticks, ["reading"], ct))));
        await ExecuteAsync($"DROP TABLE {CopyTable}", ct);
        await DataSet.WaitUntilFoldedAsync(owner, ct);
        await DataSet.RemoveAsync(owner, customers, ct);
        return
        [
            new KeysFigure($"ingest, smart-meter shape (3 keys x 1 000 messages a batch, {Clients} clients, {values:N0} values): values/s, HTTP vs binary COPY", http, copy, "values/s", "binary COPY"),
            new KeysFigure("ingest, smart-meter shape: values/s, ReadingsWriter called directly (the API's statements, no HTTP) vs binary COPY", direct, copy, "values/s", "binary COPY"),
            new KeysFigure($"ingest, single key in arrival order (1 000 readings a batch, {Clients} clients, {readings:N0}): readings/s, HTTP vs binary COPY", single, singleCopy, "readings/s", "binary COPY"),
            new KeysFigure("rollups' lag under the smart-meter ingest, p95 (rollupStatus every 200 ms)", Percentile(lags, 0.95), null, "s"),
        ];
    }

    private static byte[] MessagesBody((Guid Customer, Guid Device)[] fleet, DateTimeOffset at, int tick) => SystemClient.Request(
        "mutation($m: [MessageInput!]!) { ingestMessages(messages: $m) { inserted } }",
        new { m = fleet.Select((d, i) => new { deviceId = d.Device, customerId = d.Customer, timestamp = at, values = Keys.Select((k, j) => new { key = k, value = Value(tick, i, j) }) }) });

    private static byte[] ReadingsBody((Guid Customer, Guid Device)[] fleet, DateTimeOffset at, int tick) => SystemClient.Request(
        "mutation($r: [ReadingInput!]!) { ingestReadings(readings: $r) { inserted } }",
        new { r = fleet.Select((d, i) => new { deviceId = d.Device, customerId = d.Customer, timestamp = at, reading = Value(tick, i, 0) }) });

    private static double Value(int tick, int device, int key) => Math.Round(230 + (key * 10) + ((tick + device) % 97 / 10.0), 2);

    private async Task CopyAsync((Guid Customer, Guid Device)[] fleet, List<(DateTimeOffset At, int Tick)> ticks, string[] keys, CancellationToken ct)
    {
        await using var connection = await owner.OpenConnectionAsync(ct);
        foreach (var (at, tick) in ticks)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var importer = await connection.BeginBinaryImportAsync($"COPY {CopyTable} (customer_id, series_id, recorded_at, reading) FROM STDIN (FORMAT BINARY)", ct))
            {
                for (var i = 0; i < fleet.Length; i++)
                {
                    for (var k = 0; k < keys.Length; k++)
                    {
                        await importer.StartRowAsync(ct);
                        await importer.WriteAsync(fleet[i].Customer, NpgsqlDbType.Uuid, ct);
                        await importer.WriteAsync(SeriesIds.Of(fleet[i].Device, keys[k]), NpgsqlDbType.Uuid, ct);
                        await importer.WriteAsync(at.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                        await importer.WriteAsync(Value(tick, i, k), NpgsqlDbType.Double, ct);
                    }
                }

                await importer.CompleteAsync(ct);
            }

            await transaction.CommitAsync(ct);
        }
    }

    /// <summary>Each read through the API (HTTP, GraphQL, its statements) against plain SQL over the stored values giving the same answer.</summary>
    private async Task<IReadOnlyList<KeysFigure>> ReadsAsync(Action<string> progress, CancellationToken ct)
    {
        var token = await client.CustomerTokenAsync("bench-keys", KeysCustomer, ct);
        var end = BenchOptions.DataEnd;
        var ten = Enumerable.Range(0, 10).Select(Device).ToArray();
        var tenSeries = ten.Select(d => SeriesIds.Of(d, "power")).ToArray();
        var figures = new List<KeysFigure>();
        async Task MeasureAsync(string what, byte[] api, string sql, params (string Name, object Value)[] parameters)
        {
            // A server in use has compiled its read path fully (tiered JIT): the first calls of a fresh API would time
            // the compiler, as QueryBench's warm-up says. Each read is warmed up on its own, the plain SQL as often.
            progress($"keys: warming up {what}");
            var warming = Stopwatch.StartNew();
            for (var i = 0; i < (options.Quick ? options.Warmups : QueryBench.WarmUpCalls) && (i < options.Warmups || warming.Elapsed < WarmUpBudget); i++)
            {
                await client.GraphQLAsync(api, token, ct);
                await PlainAsync();
            }

            progress($"keys: {what}");
            var (ours, plain) = await Percentiles.MeasurePairAsync(options.Warmups, Math.Max(options.Iterations, ReadIterations), () => client.GraphQLAsync(api, token, ct), PlainAsync);
            figures.Add(new KeysFigure($"{what}: p50 ms, API vs plain SQL", ours.P50, plain.P50, "ms", "plain SQL"));

            async Task PlainAsync()
            {
                await using var command = owner.CreateCommand(sql);
                command.Parameters.Add(new NpgsqlParameter("c", KeysCustomer));
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.Add(new NpgsqlParameter(name, value));
                }

                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                }
            }
        }

        foreach (var size in new[] { 5, 1 })
        {
            await MeasureAsync($"one key of 10 devices, 1 day / {size} min",
                SystemClient.Request("query($d: [UUID!], $f: DateTime, $t: DateTime, $s: Int) { deviceAggregates(deviceIds: $d, keys: [\"power\"], from: $f, to: $t, aggregationSizeMinutes: $s) { deviceId key aggregatedValues { from mean } } }",
                    new { d = ten, f = end.AddDays(-1), t = end, s = size }),
                $"SELECT series_id, date_bin(INTERVAL '{size} minutes', recorded_at, TIMESTAMPTZ '1970-01-01'), avg(reading) FROM readings WHERE customer_id = @c AND series_id = ANY(@s) AND recorded_at >= @f AND recorded_at < @t GROUP BY 1, 2",
                ("s", tenSeries), ("f", end.AddDays(-1).UtcDateTime), ("t", end.UtcDateTime));
        }

        foreach (var (days, size) in new[] { (1, 60), (7, 1_440) })
        {
            await MeasureAsync($"groupAggregates of {Devices} devices in {Groups} groups, {days} day(s) / {size} min",
                SystemClient.Request("query($f: DateTime, $t: DateTime, $s: Int) { groupAggregates(key: \"power\", groupBy: \"site\", from: $f, to: $t, aggregationSizeMinutes: $s) { group deviceCount aggregatedValues { from mean } } }",
                    new { f = end.AddDays(-days), t = end, s = size }),
                $"""
                SELECT d.tags ->> 'site', date_bin(INTERVAL '{size} minutes', r.recorded_at, TIMESTAMPTZ '1970-01-01'), avg(r.reading)
                FROM readings r JOIN series s ON s.customer_id = r.customer_id AND s.id = r.series_id JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id
                WHERE r.customer_id = @c AND s.key = 'power' AND r.recorded_at >= @f AND r.recorded_at < @t GROUP BY 1, 2
                """,
                ("f", end.AddDays(-days).UtcDateTime), ("t", end.UtcDateTime));
        }

        await MeasureAsync($"latest of {Devices} devices x {Keys.Length} keys",
            SystemClient.Request("{ latest { deviceId key timestamp value } }", new { }),
            """
            SELECT s.device_id, s.key, l.recorded_at, l.reading FROM series s
            CROSS JOIN LATERAL (SELECT recorded_at, reading FROM readings r WHERE r.customer_id = @c AND r.series_id = s.id ORDER BY recorded_at DESC LIMIT 1) l
            WHERE s.customer_id = @c
            """);
        return figures;
    }

    /// <summary>
    /// The upgrade in place: a database of its own migrated to the schema before keys, filled with 10 M readings of 1 000
    /// devices (and their devices' rows and daily rollup), then the TelemetryKeys migration timed; it must keep every reading.
    /// </summary>
    private async Task<KeysFigure> UpgradeAsync(Action<string> progress, CancellationToken ct)
    {
        var readings = options.Quick ? 100_000 : 10_000_000;
        progress($"keys: upgrade of {readings:N0} readings stored before keys");
        var builder = new NpgsqlConnectionStringBuilder(target.ReadingsOwnerConnectionString);
        await ExecuteAsync("DROP DATABASE IF EXISTS bench_upgrade WITH (FORCE)", ct, noCustomer: true);
        await ExecuteAsync("CREATE DATABASE bench_upgrade", ct, noCustomer: true);
        builder.Database = "bench_upgrade";
        var upgrade = builder.ConnectionString;
        try
        {
            var contextOptions = new DbContextOptionsBuilder<ReadingsDbContext>().UseNpgsql(upgrade).Options;
            await using (var context = new ReadingsDbContext(contextOptions))
            {
                await context.GetService<IMigrator>().MigrateAsync("20261207051500_GrafanaTiling", ct);
            }

            await using (var old = NpgsqlDataSource.Create(upgrade))
            {
                await using var fill = old.CreateCommand($"""
                    INSERT INTO devices (id, customer_id, first_seen_at, reading_count, first_reading_at, last_reading_at)
                    SELECT ('b4300000-0000-4000-8000-' || lpad(d::text, 12, '0'))::uuid, 'b4300000-0000-4000-8000-000000000000', now(), {readings / 1_000}, NULL, NULL
                    FROM generate_series(0, 999) d;
                    INSERT INTO readings (customer_id, device_id, recorded_at, reading)
                    SELECT 'b4300000-0000-4000-8000-000000000000', ('b4300000-0000-4000-8000-' || lpad((i % 1000)::text, 12, '0'))::uuid,
                           TIMESTAMPTZ '2025-01-01' + (i / 1000) * INTERVAL '1 minute', i % 997
                    FROM generate_series(0, {readings - 1}) i;
                    INSERT INTO readings_daily (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
                    SELECT customer_id, device_id, date_bin(INTERVAL '1 day', recorded_at, TIMESTAMPTZ '1970-01-01'), count(*), sum(reading), min(reading), max(reading)
                    FROM readings GROUP BY 1, 2, 3;
                    """);
                fill.CommandTimeout = 1_800;
                await fill.ExecuteNonQueryAsync(ct);
                await using var vacuum = old.CreateCommand("VACUUM ANALYZE");
                vacuum.CommandTimeout = 1_800;
                await vacuum.ExecuteNonQueryAsync(ct);
            }

            var clock = Stopwatch.StartNew();
            await using (var context = new ReadingsDbContext(contextOptions))
            {
                context.Database.SetCommandTimeout(TimeSpan.FromMinutes(30));
                await context.GetService<IMigrator>().MigrateAsync("20261207120907_TelemetryKeys", ct);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            await using (var upgraded = NpgsqlDataSource.Create(upgrade))
            {
                await using var check = upgraded.CreateCommand("SELECT (SELECT count(*) FROM readings), (SELECT count(*) FROM series WHERE key = 'reading' AND id = device_id)");
                await using var reader = await check.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                if (reader.GetInt64(0) != readings || reader.GetInt64(1) != 1_000)
                {
                    throw new InvalidOperationException($"The upgrade kept {reader.GetInt64(0)} of {readings} readings and made {reader.GetInt64(1)} of 1 000 series.");
                }
            }

            return new KeysFigure($"upgrade in place: TelemetryKeys migration over {readings:N0} readings of 1 000 devices (every reading kept, checked)", seconds, null, "s");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync("DROP DATABASE IF EXISTS bench_upgrade WITH (FORCE)", ct, noCustomer: true);
        }
    }

    private static double Percentile(List<double> sorted, double share) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task<double> RateAsync(long count, IEnumerable<Func<Task>> clients)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(c => Task.Run(c)));
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Ten groups by site, as a customer tags its devices: device d in site d mod 10, one statement a site with the tags as
    /// a parameter (Citus routes no UPDATE that computes them from a column with a STABLE function).
    /// </summary>
    private async Task TagAsync(CancellationToken ct)
    {
        for (var site = 0; site < Groups; site++)
        {
            await using var command = owner.CreateCommand("UPDATE devices SET tags = @tags WHERE customer_id = @c AND id = ANY(@ids)");
            command.Parameters.Add(new NpgsqlParameter("c", KeysCustomer));
            command.Parameters.Add(new NpgsqlParameter("tags", NpgsqlTypes.NpgsqlDbType.Jsonb) { Value = $$"""{"site": "site-{{site}}"}""" });
            command.Parameters.Add(new NpgsqlParameter("ids", Enumerable.Range(0, Devices).Where(d => d % Groups == site).Select(Device).ToArray()));
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct, bool noCustomer = false)
    {
        await using var command = owner.CreateCommand(sql);
        command.CommandTimeout = 1_800;
        if (!noCustomer)
        {
            command.Parameters.Add(new NpgsqlParameter("c", KeysCustomer));
        }

        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken ct)
    {
        await using var command = owner.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter("c", KeysCustomer));
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The figures as a Markdown table.</summary>
    /// <summary>A section's figures as a table under its title (the keys and the MQTT sections share the form).</summary>
    public static string ToMarkdown(string title, IReadOnlyList<KeysFigure> figures)
    {
        var md = new System.Text.StringBuilder();
        md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"## {title}, side by side in this run").AppendLine();
        md.AppendLine("| figure | ours | baseline | ours / baseline |").AppendLine("|---|---:|---:|---:|");
        foreach (var f in figures)
        {
            md.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"| {f.What} | {f.Ours:N1} {f.Unit} | {(f.Baseline is { } b ? $"{b:N1} {f.Unit} ({f.BaselineName})" : "")} | {(f.Ratio is { } r ? $"{r:N2}" : "")} |");
        }

        return md.ToString();
    }
}
