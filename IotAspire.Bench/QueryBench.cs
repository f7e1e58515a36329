using System.Globalization;
using System.Text.Json;
using IotAspire.Bench.Grafana;
using Npgsql;

namespace IotAspire.Bench;

/// <summary>One query shape timed through the API and, where there is one, as the best raw SQL for the same answer.</summary>
public sealed record QueryResult(string Section, string Shape, Percentiles? Api, Percentiles? Raw, int Rows, string? Refused = null)
{
    public double? Ratio => Api is not null && Raw is not null ? Api.P50 / Raw.P50 : null;
}

/// <summary>
/// Reads, timed: <c>deviceAggregates</c> for the first customer's devices over windows ending where the data
/// ends, against the plain GROUP BY over the readings; <c>devices</c> as that customer and as an
/// administrator; every provisioned Grafana panel and variable query as Grafana's read-only role.
/// </summary>
public sealed class QueryBench(BenchTarget target, SystemClient client, DataSet data, BenchOptions options)
{
    public static readonly (string Name, TimeSpan Length)[] Windows =
        [("1 day", TimeSpan.FromDays(1)), ("1 week", TimeSpan.FromDays(7)), ("30 days", TimeSpan.FromDays(30)), ("1 year", TimeSpan.FromDays(365))];

    public static readonly int[] BucketSizes = [1, 5, 60, 1_440];

    public const int WarmUpCalls = 100;

    private const string Aggregates = """
        query($from: DateTime, $to: DateTime, $size: Int) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: $size) { deviceId from to aggregationSizeMinutes aggregatedValues { from value } }
        }
        """;

    // The best plain SQL over the readings alone: the devices named, so that each is one range of the
    // (customer, device, time) key (PostgreSQL 15 has no skip scan), read index-only.
    private const string RawAggregates = """
        SELECT series_id, date_bin(make_interval(mins => $4), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start, avg(reading)
        FROM readings WHERE customer_id = $1 AND series_id = ANY($5) AND recorded_at >= $2 AND recorded_at < $3
        GROUP BY series_id, bucket_start ORDER BY series_id, bucket_start
        """;

    private const string Devices = "{ devices { id customerId readingCount firstReadingAt lastReadingAt } }";

    public async Task<IReadOnlyList<QueryResult>> AggregatesAsync(NpgsqlDataSource owner, Action<string> progress, CancellationToken ct)
    {
        var tokens = SystemClient.Tokens(c => client.CustomerTokenAsync("bench-customer-0", DataSet.Customer(0), c), ct);
        var devices = data.DevicesOf(0).ToArray();
        var results = new List<QueryResult>();

        // .NET compiles a method fully only after about 30 calls (tiered JIT): until then the first shapes
        // would time a cold server. A day of hourly buckets takes the same path as every other shape.
        progress("warming the API up");
        var warmUp = SystemClient.Request(Aggregates, new { from = BenchOptions.DataEnd.AddDays(-1), to = BenchOptions.DataEnd, size = 60 });
        for (var i = 0; i < WarmUpCalls; i++)
        {
            await client.GraphQLAsync(warmUp, await tokens(), ct);
        }

        foreach (var (name, length) in Windows)
        {
            foreach (var size in BucketSizes)
            {
                var shape = $"{name} / {size} min";
                progress($"deviceAggregates {shape}");
                var (from, to) = (BenchOptions.DataEnd - length, BenchOptions.DataEnd);
                var body = SystemClient.Request(Aggregates, new { from, to, size });
                var token = await tokens();
                int buckets;
                try
                {
                    buckets = Buckets(await client.GraphQLAsync(body, token, ct));
                }
                catch (GraphQLRefusedException refused)
                {
                    results.Add(new QueryResult("deviceAggregates", shape, null, null, 0, refused.Message));
                    continue;
                }

                var api = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => client.GraphQLAsync(body, token, ct));
                var raw = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => ReadAllAsync(owner, RawAggregates, ct, DataSet.Customer(0), from, to, size, devices));
                results.Add(new QueryResult("deviceAggregates", shape, api, raw, buckets));
            }
        }

        await FunctionsAsync(owner, tokens, devices, results, progress, ct);

        progress("devices");
        var customerDevices = SystemClient.Request(Devices, new { });
        var customer = await tokens();
        var customerCount = (await client.GraphQLAsync(customerDevices, customer, ct)).GetProperty("devices").GetArrayLength();
        results.Add(new QueryResult("devices", "as the customer", await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => client.GraphQLAsync(customerDevices, customer, ct)), null, customerCount));
        var admin = await client.AdminTokenAsync(ct);
        var adminCount = (await client.GraphQLAsync(customerDevices, admin, ct)).GetProperty("devices").GetArrayLength();
        results.Add(new QueryResult("devices", "as an administrator (every customer)", await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => client.GraphQLAsync(customerDevices, admin, ct)), null, adminCount));
        return results;
    }

    /// <summary>
    /// The bucket functions and time zones (issue 12), each against the plain SQL that computes the same over the
    /// readings: {0} is that SQL's bucket, {1} its functions. The rollup functions come from the rollups; the
    /// others, which need the readings, read every reading of the window.
    /// </summary>
    private static readonly (string Name, string Selection, string? Zone, string RawBucket, string RawFunctions)[] FunctionVariants =
    [
        ("mean min max sum count", "mean min max sum count", null, UtcBucket, "avg(reading), min(reading), max(reading), sum(reading), count(*)"),
        ("stddev first last", "stddev first last", null, UtcBucket,
            "stddev_samp(reading), (array_agg(reading ORDER BY recorded_at))[1], (array_agg(reading ORDER BY recorded_at DESC))[1]"),
        ("p50 p95 p99", "p50: percentile(p: 0.5) p95: percentile(p: 0.95) p99: percentile(p: 0.99)", null, UtcBucket,
            "percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY reading)"),
        ("mean in Europe/Berlin", "mean", "Europe/Berlin",
            "date_bin(make_interval(mins => $4), recorded_at AT TIME ZONE 'Europe/Berlin', TIMESTAMP '1970-01-01')", "avg(reading)"),
        ("mean in Asia/Kolkata", "mean", "Asia/Kolkata",
            "date_bin(make_interval(mins => $4), recorded_at AT TIME ZONE 'Asia/Kolkata', TIMESTAMP '1970-01-01')", "avg(reading)"),
    ];

    private const string UtcBucket = "date_bin(make_interval(mins => $4), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')";

    private static readonly (string Name, TimeSpan Length, int Size)[] FunctionWindows =
        [("1 day", TimeSpan.FromDays(1), 60), ("1 week", TimeSpan.FromDays(7), 60), ("30 days", TimeSpan.FromDays(30), 60), ("1 year", TimeSpan.FromDays(365), 1_440)];

    private async Task FunctionsAsync(
        NpgsqlDataSource owner, Func<Task<string>> tokens, Guid[] devices, List<QueryResult> results, Action<string> progress, CancellationToken ct)
    {
        foreach (var (window, length, size) in FunctionWindows)
        {
            foreach (var (name, selection, zone, rawBucket, rawFunctions) in FunctionVariants)
            {
                var shape = $"{window} / {size} min: {name}";
                progress($"bucket functions {shape}");
                var (from, to) = (BenchOptions.DataEnd - length, BenchOptions.DataEnd);
                var body = SystemClient.Request(
                    "query($from: DateTime, $to: DateTime, $size: Int, $zone: String) { deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: $size, timeZone: $zone) { deviceId aggregatedValues { from " + selection + " } } }",
                    new { from, to, size, zone });
                var token = await tokens();
                var buckets = Buckets(await client.GraphQLAsync(body, token, ct));
                var raw = $"""
                    SELECT series_id, {rawBucket} AS bucket_start, {rawFunctions}
                    FROM readings WHERE customer_id = $1 AND series_id = ANY($5) AND recorded_at >= $2 AND recorded_at < $3
                    GROUP BY series_id, bucket_start ORDER BY series_id, bucket_start
                    """;
                var api = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => client.GraphQLAsync(body, token, ct));
                var rawTime = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => ReadAllAsync(owner, raw, ct, DataSet.Customer(0), from, to, size, devices));
                results.Add(new QueryResult("bucket functions", shape, api, rawTime, buckets));
            }
        }
    }

    private const string ReadingsPage = """
        query($from: DateTime, $to: DateTime, $after: String) {
          readings(from: $from, to: $to, first: 1000, after: $after) { edges { node { deviceId timestamp reading } } pageInfo { hasNextPage endCursor } }
        }
        """;

    // The keyset page in plain SQL, run beside the API. Written the obvious way, with one customer-wide filter on time
    // (... ORDER BY recorded_at, device_id LIMIT 1000), it walked the customer's whole year of keys: 479 ms a page
    // (2026-12-05). This is the per-device form the API uses, so the ratio is the API's own cost.
    private const string RawPage = """
        SELECT r.series_id, r.recorded_at, r.reading
        FROM series d
        CROSS JOIN LATERAL (
            SELECT series_id, recorded_at, reading FROM readings
            WHERE customer_id = $1 AND series_id = d.id AND recorded_at >= $2 AND recorded_at < $3 AND (recorded_at, series_id) > ($4, $5)
            ORDER BY recorded_at LIMIT 1000) r
        WHERE d.customer_id = $1
        ORDER BY r.recorded_at, r.series_id LIMIT 1000
        """;

    /// <summary>Pages of <c>readings</c> at the start and 10 pages deep, and the CSV export against <c>COPY ... TO STDOUT</c> of the same rows.</summary>
    public async Task<IReadOnlyList<QueryResult>> RawReadingsAsync(NpgsqlDataSource owner, Action<string> progress, CancellationToken ct)
    {
        var tokens = SystemClient.Tokens(c => client.CustomerTokenAsync("bench-customer-0", DataSet.Customer(0), c), ct);
        var results = new List<QueryResult>();
        var (from, to) = (BenchOptions.DataEnd.AddDays(-1), BenchOptions.DataEnd);
        string? after = null;
        DateTimeOffset lastAt = from.AddTicks(-10);
        var lastDevice = Guid.Empty;
        foreach (var (shape, pages) in new[] { ("page of 1 000, the first", 0), ("page of 1 000, 10 pages deep", 10) })
        {
            progress($"readings {shape}");
            var token = await tokens();
            for (var i = 0; i < pages; i++)
            {
                var page = (await client.GraphQLAsync(SystemClient.Request(ReadingsPage, new { from, to, after }), token, ct)).GetProperty("readings");
                if (!page.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean())
                {
                    break;   // a small data set (--quick) has fewer pages
                }

                after = page.GetProperty("pageInfo").GetProperty("endCursor").GetString();
                var last = page.GetProperty("edges")[page.GetProperty("edges").GetArrayLength() - 1].GetProperty("node");
                (lastAt, lastDevice) = (last.GetProperty("timestamp").GetDateTimeOffset(), last.GetProperty("deviceId").GetGuid());
            }

            var body = SystemClient.Request(ReadingsPage, new { from, to, after });
            var rows = (await client.GraphQLAsync(body, token, ct)).GetProperty("readings").GetProperty("edges").GetArrayLength();
            var api = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => client.GraphQLAsync(body, token, ct));
            var raw = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => ReadAllAsync(owner, RawPage, ct, DataSet.Customer(0), from, to, lastAt, lastDevice));
            results.Add(new QueryResult("raw readings", shape, api, raw, rows));
        }

        foreach (var (name, length) in new[] { ("1 day", TimeSpan.FromDays(1)), ("30 days", TimeSpan.FromDays(30)) })
        {
            progress($"export {name}");
            var token = await tokens();
            var (start, end) = (BenchOptions.DataEnd - length, BenchOptions.DataEnd);
            var url = $"/api/export?from={Uri.EscapeDataString(start.ToString("O"))}&to={Uri.EscapeDataString(end.ToString("O"))}";
            var (rows, bytes) = await client.ExportAsync(url, token, ct);
            // Device by device, like the export (one customer-wide time filter walks the customer's whole key).
            var copy = $"""
                COPY (SELECT d.device_id, r.recorded_at, r.reading, d.key FROM series d
                      CROSS JOIN LATERAL (SELECT recorded_at, reading FROM readings
                          WHERE customer_id = '{DataSet.Customer(0)}' AND series_id = d.id AND recorded_at >= '{start:O}' AND recorded_at < '{end:O}'
                          ORDER BY recorded_at) r
                      WHERE d.customer_id = '{DataSet.Customer(0)}' ORDER BY d.device_id, d.key) TO STDOUT (FORMAT csv, HEADER)
                """;
            var copyBytes = await CopyOutAsync(owner, copy, ct);
            var api = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => client.ExportAsync(url, token, ct));
            var raw = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => CopyOutAsync(owner, copy, ct));
            results.Add(new QueryResult("raw readings",
                $"export CSV, {name}: {bytes / 1e6:0.0} MB at {bytes / 1e3 / api.P50:0} MB/s; COPY {copyBytes / 1e6:0.0} MB at {copyBytes / 1e3 / raw.P50:0} MB/s", api, raw, (int)(rows - 1)));
        }

        return results;
    }

    /// <summary>Reads a text <c>COPY ... TO STDOUT</c> through Npgsql as a client would, returning its size (ASCII: a byte a character).</summary>
    private static async Task<long> CopyOutAsync(NpgsqlDataSource owner, string copy, CancellationToken ct)
    {
        await using var connection = await owner.OpenConnectionAsync(ct);
        using var text = await connection.BeginTextExportAsync(copy, ct);
        var buffer = new char[81920];
        var bytes = 0L;
        for (var read = await text.ReadAsync(buffer, ct); read > 0; read = await text.ReadAsync(buffer, ct))
        {
            bytes += read;
        }

        return bytes;
    }

    /// <summary>Every panel and variable query of every provisioned dashboard, for the last 24 h and 30 days of the data.</summary>
    public async Task<IReadOnlyList<QueryResult>> GrafanaAsync(Action<string> progress, CancellationToken ct)
    {
        await using var reader = NpgsqlDataSource.Create(target.GrafanaReaderConnectionString);
        var multi = new Dictionary<string, IReadOnlyList<string>>
        {
            ["customer"] = [DataSet.Customer(0).ToString()],
            ["device"] = [.. data.DevicesOf(0).Select(d => d.ToString())],
            ["key"] = ["reading"],
            ["series"] = [.. data.DevicesOf(0).Select(d => d.ToString())],   // key reading: a device's series is the device
        };
        var results = new List<QueryResult>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "grafana", "dashboards"), "*.json"))
        {
            var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(file, ct)).RootElement;
            var single = Intervals(dashboard);
            var queries = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray()
                .Where(v => v.GetProperty("type").GetString() == "query")
                .Select(v => ($"variable ${v.GetProperty("name").GetString()}", v.GetProperty("query").GetString()!))
                .Concat(dashboard.GetProperty("panels").EnumerateArray()
                    .Select(p => ($"panel \"{p.GetProperty("title").GetString()}\"", p.GetProperty("targets")[0].GetProperty("rawSql").GetString()!)));
            foreach (var (name, sql) in queries)
            {
                foreach (var (window, length) in new[] { ("24 h", TimeSpan.FromDays(1)), ("30 days", TimeSpan.FromDays(30)) })
                {
                    progress($"Grafana {name}, {window}");
                    // The data ends at DataEnd by reading time; ingestion times are recent, so that panel looks back from now.
                    var end = sql.Contains("ingested_per_minute", StringComparison.Ordinal) ? DateTimeOffset.UtcNow : BenchOptions.DataEnd;
                    var expanded = GrafanaMacros.Expand(sql, end - length, end, multi, single);
                    var rows = await ReadAllAsync(reader, expanded, ct);
                    var time = await Percentiles.MeasureAsync(options.Warmups, options.Iterations, () => ReadAllAsync(reader, expanded, ct));
                    results.Add(new QueryResult("Grafana", $"{name}, {window}", time, null, rows));
                }
            }
        }

        return results;
    }

    // The single-value (interval) variables at their dashboard defaults.
    private static Dictionary<string, string> Intervals(JsonElement dashboard) =>
        dashboard.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.GetProperty("type").GetString() != "query")
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("current").GetProperty("value").GetString()!);

    private static int Buckets(JsonElement data) =>
        data.GetProperty("deviceAggregates").EnumerateArray().Sum(a => a.GetProperty("aggregatedValues").GetArrayLength());

    private static async Task<int> ReadAllAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = 0;
        var values = new object[reader.FieldCount];
        while (await reader.ReadAsync(ct))
        {
            reader.GetValues(values);
            rows++;
        }

        return rows;
    }

    public static string Format(double value) => value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture);
}
