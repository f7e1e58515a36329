using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Stores a batch of readings in one transaction with set-based statements, whatever the batch size:
/// register new devices (a device belongs to the first customer that sends it, unless
/// the writer is made not to claim new devices), read the batch's owners, refuse the batch if any
/// device belongs to someone else (or is not registered), then upsert the readings keyed by (device, timestamp)
/// and record, per customer, what the rollups do not hold yet (<see cref="PendingRollups"/>). Nothing per
/// bucket, device or minute is written here: the materializer folds the pending rows into the rollups, the
/// devices' counts and spans and the per-minute counts after commit, and reads add what is still pending, so
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
            INSERT INTO readings (customer_id, device_id, recorded_at, reading)
            SELECT * FROM unnest(@customer_ids, @device_ids, @recorded_at, @readings)
            {onConflict}
            RETURNING customer_id, device_id, recorded_at, {inserted} AS inserted
        ), per_device AS (
            SELECT customer_id, device_id, count(*)::int AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at
            FROM written GROUP BY 1, 2
        ), pending AS (
            INSERT INTO {PendingRollups.Table} (customer_id, device_ids, first_at, last_at, reading_counts)
            {pendingRows}
        ), {ReadingsNotification.NotifySql}
        )
        SELECT count(*) FILTER (WHERE inserted)::int, count(*) FILTER (WHERE NOT inserted)::int, (SELECT count(*) FROM notified)::int FROM written
        """;

    /// <summary>The upsert of a batch some of whose readings may be stored already; the pending rows from what it wrote.</summary>
    public static readonly string UpsertReadingsSql = WriteReadings(
        onConflict: """
            ON CONFLICT (customer_id, device_id, recorded_at)
                DO UPDATE SET reading = EXCLUDED.reading, ingested_at = EXCLUDED.ingested_at
                WHERE readings.reading IS DISTINCT FROM EXCLUDED.reading
            """,
        inserted: "(xmax = 0)",
        pendingRows: """
            SELECT customer_id, array_agg(device_id), array_agg(first_at), array_agg(last_at), array_agg(n)
            FROM per_device GROUP BY customer_id
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
        "VALUES " + string.Join(", ", Enumerable.Range(0, customers).Select(i => $"(@pending_customer_{i}, @pending_devices_{i}, @pending_first_{i}, @pending_last_{i}, @pending_counts_{i})"));

    // On Citus, new readings go in by binary COPY instead: Citus plans an INSERT ... SELECT FROM unnest by pulling the
    // rows to the coordinator and repartitioning them, which ran an arrival-order batch (1 000 devices of 100
    // customers) at 1 700 readings/s, where COPY into the same distributed table ran at 40 000 (bench/results,
    // 2026-12-04-citus-profile.md). COPY is a round trip of its own, so the pending rows and the notifications
    // follow in a second one; on one server the single statement above stays the faster. The pending rows stay VALUES
    // rows: each is routed to its customer's shard, where an INSERT ... SELECT would go through the coordinator and
    // open a connection to every worker, so that a worker that is down would fail every customer's ingest.
    public const string CopyReadings = "COPY readings (customer_id, device_id, recorded_at, reading) FROM STDIN (FORMAT BINARY)";
    private static readonly ConcurrentDictionary<int, string> InsertPendingSql = new();
    public static string InsertPendingSqlFor(int customers) => InsertPendingSql.GetOrAdd(customers, static n =>
        $"INSERT INTO {PendingRollups.Table} (customer_id, device_ids, first_at, last_at, reading_counts) {PendingValues(n)}");

    // The notifications of a copied batch: per_device from the pending rows' arrays, flattened.
    public static readonly string NotifyCopiedSql = $"""
        WITH per_device AS (
            SELECT * FROM unnest(@notify_customers, @notify_devices, @notify_first, @notify_last) AS d(customer_id, device_id, first_at, last_at)
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
        var customerIds = rows.Select(r => r.CustomerId).ToArray();
        var deviceIds = rows.Select(r => r.DeviceId).ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // Entering the ingest barrier, claiming new devices and reading the owners: one round trip (ReadingsStore/DeviceOwners.cs).
        var listened = new List<Guid>();
        var owners = await DeviceOwners.EnterAndReadForIngestAsync(connection, transaction, deviceIds, customerIds, claim: claimNewDevices, listened, ct);

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

        var recordedAt = rows.Select(r => r.RecordedAt.ToUniversalTime()).ToArray();
        var values = rows.Select(r => r.Value).ToArray();
        int inserted, updated;
        // New readings first, as a plain INSERT under a savepoint (sent with it, one round trip); if one is stored
        // already, that attempt is undone (with its pending rows) and the batch is upserted. On Citus by COPY, whose
        // failure the caller handles (above).
        onCitus ??= await IsCitusAsync(connection, transaction, ct);
        try
        {
            var pending = PendingOfBatch(rows);
            (inserted, updated) = (onCitus.Value, copyFresh) switch
            {
                (true, true) => await CopyReadingsAsync(connection, transaction, rows, listened, pending, ct),
                (true, false) => await WriteReadingsAsync(UpsertReadingsSql, connection, transaction, customerIds, deviceIds, recordedAt, values, listened, savepoint: false, ct),
                _ => await WriteReadingsAsync(InsertReadingsSqlFor(pending.Count), connection, transaction, customerIds, deviceIds, recordedAt, values, listened, savepoint: true, ct, pending),
            };
        }
        catch (PostgresException e) when (!onCitus.Value && IsReadingStoredAlready(e))
        {
            await transaction.RollbackAsync(FreshReadings, ct);
            (inserted, updated) = await WriteReadingsAsync(UpsertReadingsSql, connection, transaction, customerIds, deviceIds, recordedAt, values, listened, savepoint: false, ct);
        }

        await transaction.CommitAsync(ct);
        return new IngestOutcome.Stored(inserted, updated, readings.Count - inserted - updated);
    }

    private const string FreshReadings = "fresh_readings";

    // Citus's COPY relays a worker's unique violation as an internal error (XX000) with PostgreSQL's own message.
    private static bool IsReadingStoredAlready(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.UniqueViolation
        || (e.SqlState == PostgresErrorCodes.InternalError && e.MessageText.StartsWith("duplicate key value violates unique constraint", StringComparison.Ordinal));

    private static async Task<(int Inserted, int Updated)> WriteReadingsAsync(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid[] customerIds, Guid[] deviceIds, DateTimeOffset[] recordedAt, double[] values, List<Guid> listened, bool savepoint, CancellationToken ct,
        IReadOnlyList<PendingRow>? pending = null)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (savepoint)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SAVEPOINT {FreshReadings}"));
        }

        var write = new NpgsqlBatchCommand(sql);
        write.Parameters.Add(new("customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = customerIds });
        write.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds });
        write.Parameters.Add(new("recorded_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = recordedAt });
        write.Parameters.Add(new("readings", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = values });
        write.Parameters.Add(new("listened", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = listened.ToArray() });
        AddPendingParameters(write, pending ?? []);

        batch.BatchCommands.Add(write);
        await batch.PrepareAsync(ct);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    private static async Task<bool> IsCitusAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(CitusDistribution.IsCitusSql, connection, transaction);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    // The fresh path on Citus (see CopyReadings): a reading already stored fails the COPY, and WriteAsync upserts instead.
    private static async Task<(int Inserted, int Updated)> CopyReadingsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        ReadingToStore[] rows, List<Guid> listened, IReadOnlyList<PendingRow> pending, CancellationToken ct)
    {
        await using (var copy = await connection.BeginBinaryImportAsync(CopyReadings, ct))
        {
            foreach (var row in rows)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(row.CustomerId, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(row.DeviceId, NpgsqlDbType.Uuid, ct);
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

        if (listened.Count > 0)
        {
            var notify = new NpgsqlBatchCommand(NotifyCopiedSql);
            notify.Parameters.Add(new("notify_customers", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = pending.SelectMany(p => p.DeviceIds.Select(_ => p.CustomerId)).ToArray() });
            notify.Parameters.Add(new("notify_devices", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = pending.SelectMany(p => p.DeviceIds).ToArray() });
            notify.Parameters.Add(new("notify_first", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = pending.SelectMany(p => p.FirstAt).ToArray() });
            notify.Parameters.Add(new("notify_last", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = pending.SelectMany(p => p.LastAt).ToArray() });
            notify.Parameters.Add(new("listened", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = listened.ToArray() });
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
            command.Parameters.Add(new($"pending_devices_{i}", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = row.DeviceIds });
            command.Parameters.Add(new($"pending_first_{i}", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = row.FirstAt });
            command.Parameters.Add(new($"pending_last_{i}", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = row.LastAt });
            command.Parameters.Add(new($"pending_counts_{i}", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = row.Counts });
        }
    }

    /// <summary>A customer's pending row for a batch all of whose rows are new: per device, its first and last time and count.</summary>
    public sealed record PendingRow(Guid CustomerId, Guid[] DeviceIds, DateTime[] FirstAt, DateTime[] LastAt, int[] Counts);

    /// <summary>The pending rows of <paramref name="rows"/> (in key order, from <see cref="LastPerKey"/>), one per customer.</summary>
    public static IReadOnlyList<PendingRow> PendingOfBatch(ReadingToStore[] rows)
    {
        var perCustomer = new Dictionary<Guid, (List<Guid> Devices, List<DateTime> First, List<DateTime> Last, List<int> Counts)>();
        for (var i = 0; i < rows.Length;)
        {
            var (customer, device) = (rows[i].CustomerId, rows[i].DeviceId);
            var first = i;
            while (i < rows.Length && rows[i].DeviceId == device)
            {
                i++;
            }

            if (!perCustomer.TryGetValue(customer, out var lists))
            {
                perCustomer[customer] = lists = ([], [], [], []);
            }

            lists.Devices.Add(device);
            lists.First.Add(rows[first].RecordedAt.UtcDateTime);   // rows of a device are in time order
            lists.Last.Add(rows[i - 1].RecordedAt.UtcDateTime);
            lists.Counts.Add(i - first);
        }

        return [.. perCustomer.Select(p => new PendingRow(p.Key, [.. p.Value.Devices], [.. p.Value.First], [.. p.Value.Last], [.. p.Value.Counts]))];
    }

    /// <summary>
    /// The last reading of each (device, time) of the batch, in key order: ON CONFLICT may touch a row only
    /// once per statement, and rows in key order go into neighbouring index pages. Done here rather than by
    /// a DISTINCT ON in the statement, which sorted every batch inside PostgreSQL (docs/performance.md).
    /// </summary>
    public static ReadingToStore[] LastPerKey(IReadOnlyList<ReadingToStore> readings)
    {
        // Keyed by the microsecond, which is what timestamptz keeps (the API refuses finer times anyway).
        var last = new Dictionary<(Guid Device, long Microsecond), int>(readings.Count);
        for (var i = 0; i < readings.Count; i++)
        {
            last[(readings[i].DeviceId, readings[i].RecordedAt.UtcTicks / TimeSpan.TicksPerMicrosecond)] = i;
        }

        var rows = new ReadingToStore[last.Count];
        var n = 0;
        foreach (var index in last.Values)
        {
            rows[n++] = readings[index];
        }

        Array.Sort(rows, static (a, b) => a.DeviceId != b.DeviceId ? a.DeviceId.CompareTo(b.DeviceId) : a.RecordedAt.CompareTo(b.RecordedAt));
        return rows;
    }
}
