using System.Diagnostics;
using IotAspire.Load;
using Npgsql;
using NpgsqlTypes;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Bench;

/// <summary>Readings per second through one way of storing them, for one batch size and number of clients.</summary>
public sealed record IngestResult(int BatchSize, int Clients, int Readings, double Http, double Writer, double BinaryCopy, double UnnestInsert)
{
    public double HttpShareOfCopy => Http / BinaryCopy;
}

/// <summary>
/// Arrival order, as fleets send: every batch holds one reading of each of 1 000 devices of 100 customers (sent by an
/// administrator, who names each reading's customer); readings per second four ways, as <see cref="IngestResult"/>;
/// and how far the rollups fell behind while the HTTP run went on at full speed (<c>rollupStatus.lagSeconds</c>,
/// sampled every 200 ms), and how long they took to catch up after it.
/// </summary>
public sealed record ArrivalOrderResult(int Clients, int Readings, double Http, double Writer, double BinaryCopy, double UnnestInsert,
    double CopyIntoReadings, double LagP50, double LagP95, double LagMax, double CatchUpSeconds)
{
    public double HttpShareOfCopy => Http / BinaryCopy;

    /// <summary>Against binary COPY into <c>readings</c> itself: the same key over millions of rows, a leaf page per device per batch.</summary>
    public double HttpShareOfCopyIntoReadings => Http / CopyIntoReadings;
}

/// <summary>
/// Arrival order over HTTP without alert rules and with <see cref="Rules"/> (one per device), side by side; the rollups'
/// lag p95 in each; the changes the evaluator recorded, and how long after the last batch it had evaluated everything.
/// </summary>
public sealed record AlertRulesResult(int Clients, int Readings, int Rules, double WithoutRules, double WithRules, double LagP95Without, double LagP95With,
    long ChangesRecorded, double EvaluatedAfterSeconds)
{
    public double WithShareOfWithout => WithRules / WithoutRules;
}

/// <summary>Readings per second over HTTP, each client one device, with the customer's token and with the device's own.</summary>
public sealed record TokenKindResult(int BatchSize, int Clients, int Readings, double CustomerToken, double DeviceToken)
{
    public double DeviceShareOfCustomer => DeviceToken / CustomerToken;
}

/// <summary>
/// Readings per second over HTTP, as <see cref="TokenKindResult"/>'s customer-token row, with no live subscriber
/// and with one subscriber to all of the customer's readings (then ingest notifies and the API reads every
/// batch back for it); how many readings reached the subscriber, and how long after the last acknowledgement.
/// </summary>
public sealed record LiveSubscriberResult(int BatchSize, int Clients, int Readings, double NoSubscriber, double WithSubscriber, long Delivered, double LastDeliveryLagMs)
{
    public double WithShareOfWithout => WithSubscriber / NoSubscriber;
}

/// <summary>
/// The same new readings stored four ways, one after the other, with the same batches and clients:
/// <c>ingestReadings</c> over HTTP; the API's own <see cref="ReadingsWriter"/> called directly (its SQL
/// without HTTP, JSON and GraphQL: the difference is what the API spends outside PostgreSQL); raw Npgsql
/// binary COPY into a table of the readings' shape, key and durability (the physical limit on this
/// machine); and a raw set-based INSERT from arrays. Every batch is its own transaction in all four.
/// </summary>
public sealed class IngestBench(SystemClient client, NpgsqlDataSource owner, BenchOptions options, BenchTarget target)
{
    private const string Ingest = "mutation($r: [ReadingInput!]!) { ingestReadings(readings: $r) { inserted updated unchanged } }";
    private const string CopyTable = "bench_copy_target";
    private const int DevicesPerClient = 10;
    private const int WarmUpBatches = 60;
    private static readonly Guid IngestCustomer = Guid.Parse("b2000000-0000-4000-8000-000000000000");

    public long? ApiPeakMemory { get; private set; }

    /// <summary>Arrival-order ingest, measured first: the main ingest figure.</summary>
    public IReadOnlyList<ArrivalOrderResult> ArrivalOrder { get; private set; } = [];

    private const int ArrivalCustomers = 100;
    private const int ArrivalDevicesPerCustomer = 10;
    private const string RollupStatus = "{ rollupStatus { pendingRows lagSeconds } }";

    /// <summary>Ingest with device tokens against the customer's token, measured after the four ways.</summary>
    public IReadOnlyList<TokenKindResult> ByTokenKind { get; private set; } = [];

    /// <summary>Ingest with and without a live subscriber, measured last.</summary>
    public IReadOnlyList<LiveSubscriberResult> ByLiveSubscriber { get; private set; } = [];

    /// <summary>Arrival order over HTTP without alert rules and with one per device, side by side.</summary>
    public IReadOnlyList<AlertRulesResult> ByAlertRules { get; private set; } = [];

    private const string CreateDeviceToken = "mutation($d: UUID!) { createDeviceToken(deviceId: $d) { token } }";
    private const int TokenKindClients = 4;

    public async Task<IReadOnlyList<IngestResult>> RunAsync(Action<string> progress, CancellationToken ct)
    {
        await ExecuteAsync($"DROP TABLE IF EXISTS {CopyTable}; CREATE TABLE {CopyTable} (LIKE readings INCLUDING ALL)", ct);
        // On a Citus cluster the baseline is a distributed table too (its own co-location: it is dropped after).
        await ExecuteAsync($"""
            DO $$ BEGIN
                IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
                    PERFORM create_distributed_table('{CopyTable}', 'customer_id', colocate_with => 'none');
                END IF;
            END $$
            """, ct);
        await DataSet.RemoveAsync(owner, [IngestCustomer, .. ArrivalCustomerIds], ct);   // left by an interrupted run
        var memory = new ApiMemory();
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                memory.Sample();
                await Task.Delay(200, CancellationToken.None);
            }
        }, CancellationToken.None);

        var results = new List<IngestResult>();
        // Devices are new for every configuration, so every reading is an insert, as a device's are.
        var origin = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

        // .NET compiles a method fully only after about 30 calls (tiered JIT), in the API and in this
        // process: without this, the first configuration would time a cold server and a cold writer.
        progress("ingest: warming up");
        var warmUpToken = await client.CustomerTokenAsync("bench-ingest", IngestCustomer, ct);
        foreach (var batch in Work(1, 100, 100 * WarmUpBatches, origin.AddYears(-1)).Single())
        {
            await client.GraphQLAsync(Body(batch), warmUpToken, ct);
        }

        await WriteAsync(Work(1, 100, 100 * WarmUpBatches, origin.AddYears(-2)).Single(), ct);
        ArrivalOrder = await ArrivalOrderAsync(origin.AddYears(-3), progress, ct);
        ByAlertRules = options.AlertRules > 0 ? await ByAlertRulesAsync(origin.AddYears(-4), progress, ct) : [];
        foreach (var batchSize in new[] { 1_000, 10 })
        {
            foreach (var clients in options.IngestClients)
            {
                var readings = Math.Max(clients * batchSize, batchSize == 10 ? options.IngestReadings / 10 : options.IngestReadings);
                progress($"ingest: batches of {batchSize}, {clients} client(s), {readings} readings");
                var work = Work(clients, batchSize, readings, origin);
                var token = await client.CustomerTokenAsync("bench-ingest", IngestCustomer, ct);
                var bodies = work.Select(batches => batches.Select(Body).ToList()).ToList();

                var http = await RateAsync(readings, bodies.Select(c => (Func<Task>)(async () =>
                {
                    foreach (var body in c)
                    {
                        await client.GraphQLAsync(body, token, ct);
                    }
                })));
                var writer = await RateAsync(readings, Work(clients, batchSize, readings, origin).Select(c => (Func<Task>)(() => WriteAsync(c, ct))));
                await ExecuteAsync($"TRUNCATE {CopyTable}", ct);
                var copy = await RateAsync(readings, work.Select(c => (Func<Task>)(() => CopyAsync(c, ct))));
                await ExecuteAsync($"TRUNCATE {CopyTable}", ct);
                var insert = await RateAsync(readings, work.Select(c => (Func<Task>)(() => InsertAsync(c, ct))));
                await ExecuteAsync($"TRUNCATE {CopyTable}", ct);
                results.Add(new IngestResult(batchSize, clients, readings, http, writer, copy, insert));
            }
        }

        ByTokenKind = await ByTokenKindAsync(origin.AddYears(1), progress, ct);
        ByLiveSubscriber = await ByLiveSubscriberAsync(origin.AddYears(2), progress, ct);
        await stop.CancelAsync();
        await sampler;
        ApiPeakMemory = memory.Peak;
        await ExecuteAsync($"DROP TABLE {CopyTable}", ct);
        // What was ingested here is not part of the data set the reads are measured on.
        await DataSet.WaitUntilFoldedAsync(owner, ct);
        await DataSet.RemoveAsync(owner, [IngestCustomer, .. ArrivalCustomerIds], ct);
        // Otherwise autovacuum would clear those rows while the reads are timed (it did: 1 week / 60 min
        // took 44 ms in that run, 5.5 ms in the runs before and after).
        await ExecuteAsync("VACUUM (ANALYZE) " + string.Join(", ", DataSet.ReadingsTables), ct);
        return results;
    }

    private static readonly Guid[] ArrivalCustomerIds =
        [.. Enumerable.Range(0, ArrivalCustomers).Select(c => Guid.Parse($"b3000000-0000-4000-8000-{c:D12}", System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>
    /// Every client sends its own ticks of the same 1 000 devices (client c of n sends ticks c, c + n, ...), ten
    /// seconds apart, so each batch is every device's newest reading and every reading is new. New devices for
    /// every configuration; the rollups are caught up before each way is timed.
    /// </summary>
    private async Task<IReadOnlyList<ArrivalOrderResult>> ArrivalOrderAsync(DateTimeOffset origin, Action<string> progress, CancellationToken ct)
    {
        var results = new List<ArrivalOrderResult>();
        // Signed in again every few minutes: on a slow target a configuration outlasts an access token.
        var admin = SystemClient.Tokens(client.AdminTokenAsync, ct);
        foreach (var clients in options.ArrivalClients)
        {
            var readings = options.ArrivalReadings / (clients * 1_000) * clients * 1_000;
            progress($"ingest: arrival order, batches of 1000 devices, {clients} client(s), {readings} readings");
            var devices = NewArrivalFleet();
            List<List<Row[]>> Ticks(DateTimeOffset start) => ArrivalTicks(devices, clients, readings, start);
            var work = Ticks(origin);
            var (http, lags, catchUp) = await ArrivalHttpAsync(work, readings, admin, ct);

            var writer = await RateAsync(readings, Ticks(origin.AddYears(-1)).Select(c => (Func<Task>)(() => WriteAsync(c, ct))));
            await DataSet.WaitUntilFoldedAsync(owner, ct);
            await ExecuteAsync($"TRUNCATE {CopyTable}", ct);
            var copy = await RateAsync(readings, work.Select(c => (Func<Task>)(() => CopyAsync(c, ct))));
            await ExecuteAsync($"TRUNCATE {CopyTable}", ct);
            var insert = await RateAsync(readings, work.Select(c => (Func<Task>)(() => InsertAsync(c, ct))));
            await ExecuteAsync($"TRUNCATE {CopyTable}", ct);
            // The same rows, two years earlier, by binary COPY into the readings table itself (removed with the
            // arrival customers at the end): what the table's size and key cost whatever writes to it.
            var copyIntoReadings = await RateAsync(readings, Ticks(origin.AddYears(-2)).Select(c => (Func<Task>)(() => CopyAsync(c, ct, "readings"))));
            results.Add(new ArrivalOrderResult(clients, readings, http, writer, copy, insert, copyIntoReadings,
                Percentile(lags, 0.50), Percentile(lags, 0.95), lags.Count > 0 ? lags[^1] : double.NaN, catchUp));
        }

        return results;
    }

    /// <summary>1 000 new devices, ten for each arrival customer.</summary>
    private static (Guid Customer, Guid Device)[] NewArrivalFleet() =>
        [.. ArrivalCustomerIds.SelectMany(c => Enumerable.Range(0, ArrivalDevicesPerCustomer).Select(_ => (Customer: c, Device: Guid.NewGuid())))];

    /// <summary>Each client's batches: one reading of every device per tick, ten seconds apart, client c sending ticks c, c + n, ...</summary>
    private static List<List<Row[]>> ArrivalTicks((Guid Customer, Guid Device)[] devices, int clients, int readings, DateTimeOffset start) =>
        [.. Enumerable.Range(0, clients).Select(c => Enumerable.Range(0, readings / devices.Length / clients)
            .Select(b => devices.Select((d, i) => new Row(d.Customer, d.Device, start.AddSeconds(10 * ((b * clients) + c)), Math.Round(20 + ((b + i) % 97 / 10.0), 2))).ToArray())
            .ToList())];

    /// <summary>
    /// Sends the batches over HTTP as an administrator (after the rollups have caught up), sampling the rollups' lag:
    /// readings per second, the lags sampled (sorted), and how long the rollups took to catch up after the last batch.
    /// </summary>
    private async Task<(double Rate, List<double> Lags, double CatchUp)> ArrivalHttpAsync(List<List<Row[]>> work, int readings, Func<Task<string>> admin, CancellationToken ct)
    {
        await DataSet.WaitUntilFoldedAsync(owner, ct);
        var bodies = work.Select(batches => batches.Select(AdminBody).ToList()).ToList();
        var lags = new List<double>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var status = await client.GraphQLAsync(SystemClient.Request(RollupStatus, new { }), await admin(), ct);
                lags.Add(status.GetProperty("rollupStatus").GetProperty("lagSeconds").GetDouble());
                await Task.Delay(200, CancellationToken.None);
            }
        }, CancellationToken.None);
        var http = await RateAsync(readings, bodies.Select(c => (Func<Task>)(async () =>
        {
            foreach (var body in c)
            {
                await client.GraphQLAsync(body, await admin(), ct);
            }
        })));
        await sampling.CancelAsync();
        await sampler;
        var caughtUp = Stopwatch.StartNew();
        await DataSet.WaitUntilFoldedAsync(owner, ct);
        lags.Sort();
        return (http, lags, caughtUp.Elapsed.TotalSeconds);
    }

    private const string CreateAlertRule = "mutation($d: UUID!, $c: UUID) { createAlertRule(deviceId: $d, kind: ABOVE, threshold: 25, minutes: 1, customerId: $c) { id } }";

    /// <summary>
    /// Arrival order with the first client count, a quarter of the readings per run: new devices without rules, then
    /// devices with <see cref="BenchOptions.AlertRules"/> rules (ABOVE 25 for a minute: the generated values cross it, so
    /// the rules raise and clear all along), twice each, alternating. Then waits for the evaluator and counts the changes.
    /// </summary>
    private async Task<IReadOnlyList<AlertRulesResult>> ByAlertRulesAsync(DateTimeOffset origin, Action<string> progress, CancellationToken ct)
    {
        var admin = SystemClient.Tokens(client.AdminTokenAsync, ct);
        var clients = options.ArrivalClients[0];
        var readings = Math.Max(1, options.ArrivalReadings / 4 / (clients * 1_000)) * clients * 1_000;
        // Without, with, without, with: each figure the mean of its two runs, so that neither side alone meets the
        // checkpoint or autovacuum that the run before left (one run each gave 78 % once and 129 % the next time).
        // Each side keeps its fleet for both rounds (new readings each round), so each pays its devices' first claims once.
        var (withoutRules, withRules) = (NewArrivalFleet(), NewArrivalFleet());
        progress($"ingest: creating {options.AlertRules} alert rules");
        foreach (var (customer, device) in withRules.Take(options.AlertRules))
        {
            await client.GraphQLAsync(SystemClient.Request(CreateAlertRule, new { d = device, c = customer }), await admin(), ct);
        }

        var without = new List<(double Rate, List<double> Lags, double CatchUp)>();
        var with = new List<(double Rate, List<double> Lags, double CatchUp)>();
        for (var round = 0; round < 2; round++)
        {
            var start = origin.AddDays(round * 30);
            progress($"ingest: arrival order without alert rules, {clients} client(s), {readings} readings, round {round + 1}");
            without.Add(await ArrivalHttpAsync(ArrivalTicks(withoutRules, clients, readings, start), readings, admin, ct));
            progress($"ingest: arrival order with {options.AlertRules} alert rules, {clients} client(s), {readings} readings, round {round + 1}");
            with.Add(await ArrivalHttpAsync(ArrivalTicks(withRules, clients, readings, start), readings, admin, ct));
        }

        var evaluated = Stopwatch.StartNew();
        long pending;
        do
        {
            await Task.Delay(200, ct);
            pending = await CountAsync($"SELECT count(*) FROM {Api.ReadingsStore.PendingAlerts.Table} WHERE customer_id = ANY(@customers)", ct);
        }
        while (pending > 0 && evaluated.Elapsed < TimeSpan.FromMinutes(2));

        var changes = await CountAsync($"SELECT count(*) FROM {Api.ReadingsStore.PendingAlerts.EventsTable} WHERE customer_id = ANY(@customers)", ct);
        return [new AlertRulesResult(clients, readings, options.AlertRules, without.Average(r => r.Rate), with.Average(r => r.Rate),
            without.Average(r => Percentile(r.Lags, 0.95)), with.Average(r => Percentile(r.Lags, 0.95)), changes, evaluated.Elapsed.TotalSeconds)];
    }

    private async Task<long> CountAsync(string sql, CancellationToken ct)
    {
        await using var command = owner.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter("customers", ArrivalCustomerIds));
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];

    private static byte[] AdminBody(Row[] batch) =>
        SystemClient.Request(Ingest, new { r = batch.Select(r => new { timestamp = r.At, reading = r.Value, deviceId = r.Device, customerId = r.Customer }) });

    /// <summary>
    /// A device token may send only its own device's readings, so here each client is one device: the same
    /// shape of batches sent once with the customer's access token and once (new readings, new devices)
    /// with each device's own token.
    /// </summary>
    private async Task<IReadOnlyList<TokenKindResult>> ByTokenKindAsync(DateTimeOffset origin, Action<string> progress, CancellationToken ct)
    {
        var results = new List<TokenKindResult>();
        var customerToken = await client.CustomerTokenAsync("bench-ingest", IngestCustomer, ct);
        foreach (var batchSize in new[] { 1_000, 10 })
        {
            var readings = Math.Max(TokenKindClients * batchSize, batchSize == 10 ? options.IngestReadings / 10 : options.IngestReadings);
            progress($"ingest: customer and device tokens, batches of {batchSize}, {TokenKindClients} clients");
            var customerWork = Work(TokenKindClients, batchSize, readings, origin, devicesPerClient: 1);
            var customer = await RateAsync(readings, customerWork.Select(c => (Func<Task>)(() => SendAsync(c, customerToken, ct))));

            var deviceWork = Work(TokenKindClients, batchSize, readings, origin, devicesPerClient: 1);
            var deviceTokens = new List<string>();
            foreach (var work in deviceWork)
            {
                var created = await client.GraphQLAsync(SystemClient.Request(CreateDeviceToken, new { d = work[0][0].Device }), customerToken, ct);
                deviceTokens.Add(created.GetProperty("createDeviceToken").GetProperty("token").GetString()!);
            }

            var device = await RateAsync(readings, deviceWork.Select((c, i) => (Func<Task>)(() => SendAsync(c, deviceTokens[i], ct))));
            results.Add(new TokenKindResult(batchSize, TokenKindClients, readings, customer, device));
        }

        return results;
    }

    private async Task<IReadOnlyList<LiveSubscriberResult>> ByLiveSubscriberAsync(DateTimeOffset origin, Action<string> progress, CancellationToken ct)
    {
        var results = new List<LiveSubscriberResult>();
        var token = await client.CustomerTokenAsync("bench-ingest", IngestCustomer, ct);
        foreach (var batchSize in new[] { 1_000, 10 })
        {
            var readings = Math.Max(TokenKindClients * batchSize, batchSize == 10 ? options.IngestReadings / 10 : options.IngestReadings);
            progress($"ingest: without and with a live subscriber, batches of {batchSize}, {TokenKindClients} clients");
            var without = await RateAsync(readings, Work(TokenKindClients, batchSize, readings, origin, devicesPerClient: 1)
                .Select(c => (Func<Task>)(() => SendAsync(c, token, ct))));

            await using var subscriber = await LiveSubscriberProbe.StartAsync(target.Api, token, ct);
            var work = Work(TokenKindClients, batchSize, readings, origin.AddMonths(6), devicesPerClient: 1);
            var sent = work.Sum(c => c.Sum(b => b.Length));
            var with = await RateAsync(readings, work.Select(c => (Func<Task>)(() => SendAsync(c, token, ct))));
            var acknowledged = DateTimeOffset.UtcNow;
            await subscriber.WaitForAsync(sent, TimeSpan.FromSeconds(60));
            var lag = subscriber.Delivered >= sent ? (subscriber.LastDeliveryAt - acknowledged).TotalMilliseconds : double.NaN;
            results.Add(new LiveSubscriberResult(batchSize, TokenKindClients, readings, without, with, subscriber.Delivered, Math.Max(0, lag)));
        }

        return results;
    }

    private async Task SendAsync(List<Row[]> batches, string token, CancellationToken ct)
    {
        var bodies = batches.Select(Body).ToList();
        foreach (var body in bodies)
        {
            await client.GraphQLAsync(body, token, ct);
        }
    }

    private static async Task<double> RateAsync(int readings, IEnumerable<Func<Task>> clients)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(c => Task.Run(c)));
        return readings / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Per client, its batches: its own devices, consecutive minutes, so every reading is new.</summary>
    private static List<List<Row[]>> Work(int clients, int batchSize, int readings, DateTimeOffset origin, int devicesPerClient = DevicesPerClient) =>
        [.. Enumerable.Range(0, clients).Select(c =>
        {
            var devices = Enumerable.Range(0, devicesPerClient).Select(_ => Guid.NewGuid()).ToArray();
            var perClient = readings / clients;
            return Enumerable.Range(0, perClient / batchSize).Select(b => Enumerable.Range(0, batchSize).Select(i =>
            {
                var n = (b * batchSize) + i;
                return new Row(IngestCustomer, devices[n % devicesPerClient], origin.AddMinutes(n / devicesPerClient), Math.Round(20 + (n % 97 / 10.0), 2));
            }).ToArray()).ToList();
        })];

    private static byte[] Body(Row[] batch) =>
        SystemClient.Request(Ingest, new { r = batch.Select(r => new { timestamp = r.At, reading = r.Value, deviceId = r.Device }) });

    private async Task WriteAsync(List<Row[]> batches, CancellationToken ct)
    {
        var writer = new ReadingsWriter(owner);
        foreach (var batch in batches)
        {
            var stored = await writer.WriteAsync([.. batch.Select(r => new ReadingToStore(r.Customer, r.Device, r.At, r.Value))], ct);
            if (stored is not IngestOutcome.Stored { Inserted: var inserted } || inserted != batch.Length)
            {
                throw new InvalidOperationException($"The writer stored {stored} of a batch of {batch.Length} new readings.");
            }
        }
    }

    private async Task CopyAsync(List<Row[]> batches, CancellationToken ct, string table = CopyTable)
    {
        await using var connection = await owner.OpenConnectionAsync(ct);
        foreach (var batch in batches)
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                $"COPY {table} (customer_id, series_id, recorded_at, reading) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var row in batch)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(row.Customer, NpgsqlDbType.Uuid, ct);
                await importer.WriteAsync(row.Device, NpgsqlDbType.Uuid, ct);
                await importer.WriteAsync(row.At, NpgsqlDbType.TimestampTz, ct);
                await importer.WriteAsync(row.Value, NpgsqlDbType.Double, ct);
            }

            await importer.CompleteAsync(ct);
        }
    }

    private async Task InsertAsync(List<Row[]> batches, CancellationToken ct)
    {
        await using var connection = await owner.OpenConnectionAsync(ct);
        foreach (var batch in batches)
        {
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO {CopyTable} (customer_id, series_id, recorded_at, reading) SELECT * FROM unnest($1, $2, $3, $4) ON CONFLICT DO NOTHING", connection);
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.Customer).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.Device).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.At).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.Value).ToArray() });
            await insert.ExecuteNonQueryAsync(ct);
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = owner.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private readonly record struct Row(Guid Customer, Guid Device, DateTimeOffset At, double Value);
}
