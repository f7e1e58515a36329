using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Stores a batch of readings in one transaction with set-based statements, whatever the batch size:
/// register new devices (a device belongs to the first customer that sends it, unless
/// the writer is made not to claim new devices), read the batch's owners, refuse the batch if any
/// device belongs to someone else (or is not registered), then add the series new to the catalog, upsert the readings
/// keyed by (series, timestamp) (a series is one key of one device, <see cref="SeriesIds"/>) and record, per customer,
/// what the rollups do not hold yet (<see cref="PendingRollups"/>). Nothing per
/// bucket, series or minute is written here: the materializer folds the pending rows into the rollups, the
/// series' counts and spans and the per-minute counts after commit, and reads add what is still pending, so
/// answers stay exact (docs/rollups.md). Acknowledged means committed and durable, as before.
/// </summary>
/// <param name="dataSource">The readings database.</param>
/// <param name="claimNewDevices">Whether a batch registers the devices no customer holds yet for its own customer (the
/// ingestion feature's <c>RequireRegisteredDevices</c>, inverted); false refuses them.</param>
public sealed class ReadingsWriter(NpgsqlDataSource dataSource, bool claimNewDevices = true)
{
    // The rows come deduplicated and in key order (LastPerKey). An identical value is left alone (the
    // WHERE), so a retried batch rewrites nothing and leaves nothing pending. Stored and changed readings
    // alike go into the pending row of their customer: the materializer recomputes the buckets they fall in
    // from the readings, so a changed value needs nothing more here.
    // onConflict: what a reading already stored does (EXCLUDED.ingested_at is its default, now(): Citus allows no
    // function in DO UPDATE SET); inserted: whether a row was inserted; pendingRows: the rows of rollup_pending.
    private static string WriteReadings(string onConflict, string inserted, string pendingRows) => $"""
        WITH written AS (
            INSERT INTO readings (customer_id, series_id, recorded_at, reading)
            SELECT * FROM unnest(@customer_ids, @series_ids, @recorded_at, @readings)
            {onConflict}
            RETURNING customer_id, series_id, recorded_at, {inserted} AS inserted
        ), per_series AS (
            SELECT customer_id, series_id, count(*)::int AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at
            FROM written GROUP BY 1, 2
        ), pending AS (
            INSERT INTO {PendingRollups.Table} (customer_id, series_ids, first_at, last_at, reading_counts)
            {pendingRows}
        ), {ReadingsNotification.NotifySql}
        )
        SELECT count(*) FILTER (WHERE inserted)::int, count(*) FILTER (WHERE NOT inserted)::int, (SELECT count(*) FROM notified)::int FROM written
        """;

    /// <summary>The upsert of a batch some of whose readings may be stored already; the pending rows from what it wrote.</summary>
    public static readonly string UpsertReadingsSql = WriteReadings(
        onConflict: """
            ON CONFLICT (customer_id, series_id, recorded_at)
                DO UPDATE SET reading = EXCLUDED.reading, ingested_at = EXCLUDED.ingested_at
                WHERE readings.reading IS DISTINCT FROM EXCLUDED.reading
            """,
        inserted: "(xmax = 0)",
        pendingRows: """
            SELECT customer_id, array_agg(series_id), array_agg(first_at), array_agg(last_at), array_agg(n)
            FROM per_series GROUP BY customer_id
            """);

    // The same statement for a batch of readings none of which is stored yet (the usual batch): a plain
    // INSERT, without the speculative insertion of ON CONFLICT, which cost about a fifth of the statement
    // (bench/results/2026-11-28-profiles.md). A reading already stored makes it fail: see WriteAsync. Every row is
    // then written, so the pending rows are known before it runs (PendingOfBatch): one VALUES row per customer.
    private static readonly ConcurrentDictionary<int, string> InsertReadingsSql = new();

    /// <summary>The plain INSERT of a batch of new readings of <paramref name="customers"/> customers.</summary>
    public static string InsertReadingsSqlFor(int customers) => InsertReadingsSql.GetOrAdd(customers, static n => WriteReadings(
        onConflict: "",
        inserted: "true",
        pendingRows: n == 0
            ? "SELECT NULL::uuid, NULL::uuid[], NULL::timestamptz[], NULL::timestamptz[], NULL::int[] WHERE false"   // an empty batch
            : PendingValues(n)));

    // The pending rows of a batch of new readings: one VALUES row per customer (PendingOfBatch), parameters @pending_*_i.
    private static string PendingValues(int customers) =>
        "VALUES " + string.Join(", ", Enumerable.Range(0, customers).Select(i => $"(@pending_customer_{i}, @pending_series_{i}, @pending_first_{i}, @pending_last_{i}, @pending_counts_{i})"));

    // On Citus, new readings go in by binary COPY instead: Citus plans an INSERT ... SELECT FROM unnest by pulling the
    // rows to the coordinator and repartitioning them, which ran an arrival-order batch (1 000 devices of 100
    // customers) at 1 700 readings/s, where COPY into the same distributed table ran at 40 000 (bench/results,
    // 2026-12-04-citus-profile.md). COPY is a round trip of its own, so the pending rows and the notifications
    // follow in a second one; on one server the single statement above stays the faster. The pending rows stay VALUES
    // rows: each is routed to its customer's shard, where an INSERT ... SELECT would go through the coordinator and
    // open a connection to every worker, so that a worker that is down would fail every customer's ingest.
    public const string CopyReadings = "COPY readings (customer_id, series_id, recorded_at, reading) FROM STDIN (FORMAT BINARY)";
    private static readonly ConcurrentDictionary<int, string> InsertPendingSql = new();
    public static string InsertPendingSqlFor(int customers) => InsertPendingSql.GetOrAdd(customers, static n =>
        $"INSERT INTO {PendingRollups.Table} (customer_id, series_ids, first_at, last_at, reading_counts) {PendingValues(n)}");

    // The notifications of a copied batch: per_series from the pending rows' arrays, flattened.
    public static readonly string NotifyCopiedSql = $"""
        WITH per_series AS (
            SELECT * FROM unnest(@notify_customers, @notify_batch_series, @notify_first, @notify_last) AS d(customer_id, series_id, first_at, last_at)
        ), {ReadingsNotification.NotifySql}
        )
        SELECT count(*)::int FROM notified
        """;

    // Whether the readings database is a Citus cluster: asked once per process, on the first batch.
    private bool? onCitus;

    public async Task<IngestOutcome> WriteAsync(IReadOnlyList<ReadingToStore> readings, CancellationToken ct)
    {
        try
        {
            return await WriteAsync(readings, copyFresh: true, ct);
        }
        catch (PostgresException e) when (onCitus == true && IsReadingStoredAlready(e))
        {
            // A COPY that fails breaks its connection (Npgsql), so there is no savepoint to go back to: the batch
            // starts over on another connection and is upserted. Nothing of the first attempt was committed.
            return await WriteAsync(readings, copyFresh: false, ct);
        }
    }

    private async Task<IngestOutcome> WriteAsync(IReadOnlyList<ReadingToStore> readings, bool copyFresh, CancellationToken ct)
    {
        var rows = LastPerKey(readings);
        var batch = BatchSeries.Of(rows, knownSeries);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // Entering the ingest barrier, claiming new devices and reading the owners: one round trip (ReadingsStore/DeviceOwners.cs).
        var listened = new List<Guid>();
        var owners = await DeviceOwners.EnterAndReadForIngestAsync(connection, transaction, batch.DeviceIds, batch.DeviceCustomerIds, claim: claimNewDevices, listened, ct);

        // The first reading, in the order sent, whose device the caller may not write: not registered (only
        // when registration is required) or another customer's; or older than its customer's retention keeps.
        // Disposing the transaction rolls back the devices registered above.
        for (var i = 0; i < readings.Count; i++)
        {
            var reading = readings[i];
            if (!owners.TryGetValue(reading.DeviceId, out var owner))
            {
                return new IngestOutcome.DeviceNotRegistered(reading.DeviceId);
            }

            if (owner.CustomerId != reading.CustomerId)
            {
                return new IngestOutcome.DeviceOwnedByAnotherCustomer(reading.DeviceId);
            }

            if (reading.RecordedAt < owner.ReadingsKeptFrom)
            {
                return new IngestOutcome.OlderThanRetention(i, reading.RecordedAt, owner.ReadingsKeptFrom.Value);
            }
        }

        // Series new to this process first (one round trip, only then): added, and the devices' keys counted.
        if (batch.New.Length > 0 && await AddSeriesAsync(connection, transaction, batch, ct) is { } crowded)
        {
            return new IngestOutcome.TooManyKeys(crowded, MaxKeysPerDevice);
        }

        var values = new BatchValues(
            rows.Select(r => r.CustomerId).ToArray(), rows.Select(r => r.SeriesId).ToArray(),
            rows.Select(r => r.RecordedAt.ToUniversalTime()).ToArray(), rows.Select(r => r.Value).ToArray(), batch, listened);
        int inserted, updated;
        // New readings first, as a plain INSERT under a savepoint (sent with it, one round trip); if one is stored
        // already, that attempt is undone (with its pending rows) and the batch is upserted. On Citus by COPY, whose
        // failure the caller handles (above).
        onCitus ??= await CitusDistribution.IsCitusAsync(connection, transaction, ct);
        try
        {
            var pending = PendingOfBatch(rows);
            (inserted, updated) = (onCitus.Value, copyFresh) switch
            {
                (true, true) => await CopyReadingsAsync(connection, transaction, rows, values, pending, ct),
                (true, false) => await WriteReadingsAsync(UpsertReadingsSql, connection, transaction, values, savepoint: false, ct),
                _ => await WriteReadingsAsync(InsertReadingsSqlFor(pending.Count), connection, transaction, values, savepoint: true, ct, pending),
            };
        }
        catch (PostgresException e) when (!onCitus.Value && IsReadingStoredAlready(e))
        {
            await transaction.RollbackAsync(FreshReadings, ct);
            (inserted, updated) = await WriteReadingsAsync(UpsertReadingsSql, connection, transaction, values, savepoint: false, ct);
        }

        await transaction.CommitAsync(ct);
        batch.Remember(knownSeries);
        return new IngestOutcome.Stored(inserted, updated, readings.Count - inserted - updated);
    }

    // The series this process has seen committed, by customer: a batch writes catalog rows only for the others (a fleet's
    // known series cost nothing per batch). Series rows are never deleted, so what is here stays true.
    private readonly ConcurrentDictionary<(Guid Customer, Guid Series), byte> knownSeries = new();

    /// <summary>
    /// A series new to the catalog is added in the batch's transaction, before its readings: the materializer counts
    /// a series' readings in its row, and reads name keys from it. In key order, so that concurrent batches adding the
    /// same series wait for each other in one order. On Citus, an INSERT ... SELECT that the coordinator routes row by
    /// row: paid only by a batch with series no batch of this process has written.
    /// </summary>
    public static readonly string AddSeriesSql = $"""
        INSERT INTO {Series.Table} (customer_id, id, device_id, key)
        SELECT * FROM unnest(@new_customers, @new_series, @new_devices, @new_keys) ORDER BY 1, 2
        ON CONFLICT DO NOTHING
        """;

    /// <summary>
    /// The most keys a device may have under its customer: a bound on the catalog and on what one device's answers can
    /// hold, far above any meter's (ThingsBoard's smart meters: 3; a rich sensor: tens).
    /// </summary>
    public const int MaxKeysPerDevice = 1_000;

    /// <summary>A device of the new series with more than <c>@max_keys</c> keys now, if any (read after the insert, in its transaction).</summary>
    public static readonly string CrowdedDeviceSql = $"""
        SELECT {CitusDistribution.EveryCustomerMarker} device_id FROM {Series.Table}
        WHERE customer_id = ANY(@new_customers) AND device_id = ANY(@new_devices)
        GROUP BY customer_id, device_id HAVING count(*) > @max_keys
        LIMIT 1
        """;

    private static async Task<Guid?> AddSeriesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, BatchSeries batch, CancellationToken ct)
    {
        await using var statements = new NpgsqlBatch(connection, transaction);
        statements.BatchCommands.Add(batch.AddNew()!);
        var crowded = new NpgsqlBatchCommand(CrowdedDeviceSql);
        crowded.Parameters.Add(new("new_customers", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = batch.New.Select(r => r.CustomerId).Distinct().ToArray() });
        crowded.Parameters.Add(new("new_devices", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = batch.New.Select(r => r.DeviceId).Distinct().ToArray() });
        crowded.Parameters.Add(new("max_keys", NpgsqlDbType.Integer) { Value = MaxKeysPerDevice });
        statements.BatchCommands.Add(crowded);
        await using var reader = await statements.ExecuteReaderAsync(ct);
        do
        {
            if (reader.FieldCount > 0 && await reader.ReadAsync(ct))
            {
                return reader.GetGuid(0);
            }
        }
        while (await reader.NextResultAsync(ct));

        return null;
    }

    /// <summary>The batch's rows as the statements' parameters, and its series.</summary>
    private sealed record BatchValues(Guid[] CustomerIds, Guid[] SeriesIds, DateTimeOffset[] RecordedAt, double[] Values, BatchSeries Series, List<Guid> Listened);

    /// <summary>
    /// The devices of a batch (each with the first customer naming it) and its series: those the catalog may lack, and
    /// every one (named for notifications).
    /// </summary>
    private sealed record BatchSeries(Guid[] DeviceIds, Guid[] DeviceCustomerIds, ReadingToStore[] New, ReadingToStore[] All)
    {
        public static BatchSeries Of(ReadingToStore[] rows, ConcurrentDictionary<(Guid Customer, Guid Series), byte> known)
        {
            var devices = rows.DistinctBy(r => (r.DeviceId, r.CustomerId)).ToArray();
            var all = rows.DistinctBy(r => (r.CustomerId, r.SeriesId)).ToArray();
            return new([.. devices.Select(r => r.DeviceId)], [.. devices.Select(r => r.CustomerId)],
                [.. all.Where(r => !known.ContainsKey((r.CustomerId, r.SeriesId)))], all);
        }

        public void Remember(ConcurrentDictionary<(Guid Customer, Guid Series), byte> known)
        {
            if (known.Count + New.Length > MaxRememberedSeries)
            {
                known.Clear();
            }

            foreach (var row in New)
            {
                known.TryAdd((row.CustomerId, row.SeriesId), 0);
            }
        }

        private const int MaxRememberedSeries = 1_000_000;

        /// <summary>The statement adding the series the catalog may lack, or null when there are none.</summary>
        public NpgsqlBatchCommand? AddNew()
        {
            if (New.Length == 0)
            {
                return null;
            }

            var command = new NpgsqlBatchCommand(AddSeriesSql);
            command.Parameters.Add(new("new_customers", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = New.Select(r => r.CustomerId).ToArray() });
            command.Parameters.Add(new("new_series", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = New.Select(r => r.SeriesId).ToArray() });
            command.Parameters.Add(new("new_devices", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = New.Select(r => r.DeviceId).ToArray() });
            command.Parameters.Add(new("new_keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = New.Select(r => r.Key).ToArray() });
            return command;
        }

        /// <summary>The names of the batch's series for its notifications (<see cref="ReadingsNotification.NotifySql"/>); none when nobody listens.</summary>
        public void AddNames(NpgsqlBatchCommand command, bool anyoneListens)
        {
            var named = anyoneListens ? All : [];
            command.Parameters.Add(new("notify_series", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = named.Select(r => r.SeriesId).ToArray() });
            command.Parameters.Add(new("notify_devices", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = named.Select(r => r.DeviceId).ToArray() });
            command.Parameters.Add(new("notify_keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = named.Select(r => r.Key).ToArray() });
        }
    }

    private const string FreshReadings = "fresh_readings";

    // Citus's COPY relays a worker's unique violation as an internal error (XX000) with PostgreSQL's own message.
    private static bool IsReadingStoredAlready(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.UniqueViolation
        || (e.SqlState == PostgresErrorCodes.InternalError && e.MessageText.StartsWith("duplicate key value violates unique constraint", StringComparison.Ordinal));

    private static async Task<(int Inserted, int Updated)> WriteReadingsAsync(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction,
        BatchValues values, bool savepoint, CancellationToken ct, IReadOnlyList<PendingRow>? pending = null)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (savepoint)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SAVEPOINT {FreshReadings}"));
        }

        var write = new NpgsqlBatchCommand(sql);
        write.Parameters.Add(new("customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = values.CustomerIds });
        write.Parameters.Add(new("series_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = values.SeriesIds });
        write.Parameters.Add(new("recorded_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = values.RecordedAt });
        write.Parameters.Add(new("readings", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = values.Values });
        write.Parameters.Add(new("listened", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = values.Listened.ToArray() });
        values.Series.AddNames(write, values.Listened.Count > 0);
        AddPendingParameters(write, pending ?? []);

        batch.BatchCommands.Add(write);
        await batch.PrepareAsync(ct);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    // The fresh path on Citus (see CopyReadings): a reading already stored fails the COPY, and WriteAsync upserts instead.
    private static async Task<(int Inserted, int Updated)> CopyReadingsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        ReadingToStore[] rows, BatchValues values, IReadOnlyList<PendingRow> pending, CancellationToken ct)
    {
        await using (var copy = await connection.BeginBinaryImportAsync(CopyReadings, ct))
        {
            foreach (var row in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(row.CustomerId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(row.SeriesId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(row.RecordedAt.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(row.Value, NpgsqlDbType.Double, ct);
            }

            await copy.CompleteAsync(ct);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        if (pending.Count > 0)
        {
            var insertPending = new NpgsqlBatchCommand(InsertPendingSqlFor(pending.Count));
            AddPendingParameters(insertPending, pending);
            batch.BatchCommands.Add(insertPending);
        }

        if (values.Listened.Count > 0)
        {
            var notify = new NpgsqlBatchCommand(NotifyCopiedSql);
            notify.Parameters.Add(new("notify_customers", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = pending.SelectMany(p => p.SeriesIds.Select(_ => p.CustomerId)).ToArray() });
            notify.Parameters.Add(new("notify_batch_series", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = pending.SelectMany(p => p.SeriesIds).ToArray() });
            notify.Parameters.Add(new("notify_first", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = pending.SelectMany(p => p.FirstAt).ToArray() });
            notify.Parameters.Add(new("notify_last", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = pending.SelectMany(p => p.LastAt).ToArray() });
            notify.Parameters.Add(new("listened", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = values.Listened.ToArray() });
            values.Series.AddNames(notify, anyoneListens: true);
            batch.BatchCommands.Add(notify);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(ct);
        }

        return (rows.Length, 0);
    }

    private static void AddPendingParameters(NpgsqlBatchCommand command, IReadOnlyList<PendingRow> pending)
    {
        for (var i = 0; i < pending.Count; i++)
        {
            var row = pending[i];
            command.Parameters.Add(new($"pending_customer_{i}", NpgsqlDbType.Uuid) { Value = row.CustomerId });
            command.Parameters.Add(new($"pending_series_{i}", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = row.SeriesIds });
            command.Parameters.Add(new($"pending_first_{i}", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = row.FirstAt });
            command.Parameters.Add(new($"pending_last_{i}", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = row.LastAt });
            command.Parameters.Add(new($"pending_counts_{i}", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = row.Counts });
        }
    }

    /// <summary>A customer's pending row for a batch all of whose rows are new: per series, its first and last time and count.</summary>
    public sealed record PendingRow(Guid CustomerId, Guid[] SeriesIds, DateTime[] FirstAt, DateTime[] LastAt, int[] Counts);

    /// <summary>The pending rows of <paramref name="rows"/> (in key order, from <see cref="LastPerKey"/>), one per customer.</summary>
    public static IReadOnlyList<PendingRow> PendingOfBatch(ReadingToStore[] rows)
    {
        var perCustomer = new Dictionary<Guid, (List<Guid> Series, List<DateTime> First, List<DateTime> Last, List<int> Counts)>();
        for (var i = 0; i < rows.Length;)
        {
            var (customer, series) = (rows[i].CustomerId, rows[i].SeriesId);
            var first = i;
            while (i < rows.Length && rows[i].SeriesId == series && rows[i].CustomerId == customer)
            {
                i++;
            }

            if (!perCustomer.TryGetValue(customer, out var lists))
            {
                perCustomer[customer] = lists = ([], [], [], []);
            }

            lists.Series.Add(series);
            lists.First.Add(rows[first].RecordedAt.UtcDateTime);   // rows of a series are in time order
            lists.Last.Add(rows[i - 1].RecordedAt.UtcDateTime);
            lists.Counts.Add(i - first);
        }

        return [.. perCustomer.Select(p => new PendingRow(p.Key, [.. p.Value.Series], [.. p.Value.First], [.. p.Value.Last], [.. p.Value.Counts]))];
    }

    /// <summary>
    /// The last reading of each (customer, series, time) of the batch, in key order: ON CONFLICT may touch a row only
    /// once per statement, and rows in key order go into neighbouring index pages. Done here rather than by
    /// a DISTINCT ON in the statement, which sorted every batch inside PostgreSQL (docs/performance.md).
    /// </summary>
    public static ReadingToStore[] LastPerKey(IReadOnlyList<ReadingToStore> readings)
    {
        // Keyed by the microsecond, which is what timestamptz keeps (the API refuses finer times anyway).
        var last = new Dictionary<(Guid Customer, Guid Series, long Microsecond), int>(readings.Count);
        for (var i = 0; i < readings.Count; i++)
        {
            last[(readings[i].CustomerId, readings[i].SeriesId, readings[i].RecordedAt.UtcTicks / TimeSpan.TicksPerMicrosecond)] = i;
        }

        var rows = new ReadingToStore[last.Count];
        var n = 0;
        foreach (var index in last.Values)
        {
            rows[n++] = readings[index];
        }

        Array.Sort(rows, static (a, b) => a.SeriesId != b.SeriesId ? a.SeriesId.CompareTo(b.SeriesId)
            : a.CustomerId != b.CustomerId ? a.CustomerId.CompareTo(b.CustomerId)
            : a.RecordedAt.CompareTo(b.RecordedAt));
        return rows;
    }
}
