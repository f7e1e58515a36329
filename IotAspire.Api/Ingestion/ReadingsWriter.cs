using System.Globalization;
using System.Text;
using IotAspire.Api.Data;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Ingestion;

/// <summary>
/// Stores a batch of readings in one transaction with set-based statements, whatever the batch size:
/// register new devices (a device belongs to the first customer that sends it, unless
/// <see cref="IngestionOptions.RequireRegisteredDevices"/>), lock the batch's devices and read their owners,
/// refuse the batch if any device belongs to someone else (or is not registered), then upsert the readings
/// keyed by (device, timestamp), add what was inserted to each device's count and span and to the rollups
/// (<see cref="Data.ReadingRollups"/>), and count what was written per minute of ingestion.
/// </summary>
public sealed class ReadingsWriter(NpgsqlDataSource dataSource, IOptions<IngestionOptions> options)
{
    // The rows come deduplicated and in key order (LastPerKey). An identical value is left alone (the
    // WHERE), so a retried batch rewrites nothing. Only inserted rows change a device's count and span and
    // are added to the rollups: an updated reading was already counted, within the span, and its buckets are
    // recomputed by RecomputeRollups. The inserted readings are summed per five minutes once, and every
    // rollup adds up those sums (five minutes nest in hours and days). Every write keyed by device happens
    // under the device locks taken by DeviceOwners, so concurrent batches cannot interleave here.
    private const string UpsertReadings = """
        WITH written AS (
            INSERT INTO readings (customer_id, device_id, recorded_at, reading)
            SELECT * FROM unnest(@customer_ids, @device_ids, @recorded_at, @readings)
            {1}
            RETURNING customer_id, device_id, recorded_at, reading, {2} AS inserted
        ), five_minutes AS (
            SELECT customer_id, device_id, date_bin(INTERVAL '5 minutes', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start,
                   count(*) AS n, sum(reading) AS total, min(reading) AS low, max(reading) AS high,
                   min(recorded_at) AS first_at, max(recorded_at) AS last_at
            FROM written WHERE inserted GROUP BY 1, 2, 3
        ), counted AS (
            UPDATE devices SET reading_count = devices.reading_count + added.reading_count,
                               first_reading_at = LEAST(devices.first_reading_at, added.first_reading_at),
                               last_reading_at = GREATEST(devices.last_reading_at, added.last_reading_at)
            FROM (SELECT device_id, sum(n) AS reading_count, min(first_at) AS first_reading_at, max(last_at) AS last_reading_at
                  FROM five_minutes GROUP BY device_id) AS added
            WHERE devices.id = added.device_id
        ){0}, ingested AS (
            INSERT INTO ingested_per_minute AS m (customer_id, device_id, minute, reading_count)
            SELECT customer_id, device_id, date_bin(INTERVAL '1 minute', now(), TIMESTAMPTZ '1970-01-01 00:00:00+00'), count(*)
            FROM written GROUP BY 1, 2
            ON CONFLICT (customer_id, device_id, minute) DO UPDATE SET reading_count = m.reading_count + EXCLUDED.reading_count
        ), notified AS (
            {3}
        )
        SELECT count(*) FILTER (WHERE inserted)::int, count(*) FILTER (WHERE NOT inserted)::int, (SELECT count(*) FROM notified)::int FROM written
        """;

    // Declared before the statements built from it: static fields are initialised in this order.
    private static readonly string RollupCtes =
        string.Concat(ReadingRollups.All.Select(grain => string.Format(CultureInfo.InvariantCulture, CompositeFormat.Parse(AddToRollup), grain.Table, grain.Minutes)));

    // {0}: the rollups' CTEs (AddToRollup, once per grain); {1}: what a reading already stored does; {2}:
    // whether a row was inserted; {3}: the live-update notifications. UpsertReadings has no other braces.
    private static readonly string UpsertReadingsSql = string.Format(CultureInfo.InvariantCulture, CompositeFormat.Parse(UpsertReadings),
        RollupCtes, """
            ON CONFLICT (customer_id, device_id, recorded_at)
                DO UPDATE SET reading = EXCLUDED.reading, ingested_at = now()
                WHERE readings.reading IS DISTINCT FROM EXCLUDED.reading
            """, "(xmax = 0)", ReadingsNotification.NotifySql);

    // The same statement for a batch of readings none of which is stored yet (the usual batch): a plain
    // INSERT, without the speculative insertion of ON CONFLICT, which cost about a fifth of the statement
    // (bench/results/2026-11-28-profiles.md). A reading already stored makes it fail: see WriteAsync.
    private static readonly string InsertReadingsSql = string.Format(CultureInfo.InvariantCulture, CompositeFormat.Parse(UpsertReadings),
        RollupCtes, "", "true", ReadingsNotification.NotifySql);

    // One rollup's share of UpsertReadings ({0}: its table, {1}: its grain in minutes): the inserted
    // readings' five-minute sums added to their buckets. Minimum and maximum can only widen when readings
    // are added.
    private const string AddToRollup = """
        , add_to_{0} AS (
            INSERT INTO {0} AS r (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
            SELECT customer_id, device_id, date_bin(make_interval(mins => {1}), bucket_start, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                   sum(n)::bigint, sum(total), min(low), max(high)
            FROM five_minutes GROUP BY 1, 2, 3
            ON CONFLICT (customer_id, device_id, bucket_start) DO UPDATE SET
                reading_count = r.reading_count + EXCLUDED.reading_count, reading_sum = r.reading_sum + EXCLUDED.reading_sum,
                reading_min = LEAST(r.reading_min, EXCLUDED.reading_min), reading_max = GREATEST(r.reading_max, EXCLUDED.reading_max)
        )
        """;

    // Only when the batch changed stored values (rare: a device correcting itself): a changed value can
    // move a bucket's minimum or maximum either way, so every bucket the batch touches is recomputed from
    // the readings, one statement per rollup ({0}: its table, {1}: its grain in minutes). The statements see
    // the upsert above (same transaction, later statement).
    private const string RecomputeRollup = """
        INSERT INTO {0} AS r (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
        SELECT touched.customer_id, touched.device_id, touched.bucket_start, stats.n, stats.total, stats.low, stats.high
        FROM (SELECT DISTINCT customer_id, device_id, date_bin(make_interval(mins => {1}), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start
              FROM unnest(@customer_ids, @device_ids, @recorded_at) AS b(customer_id, device_id, recorded_at)) AS touched
        CROSS JOIN LATERAL (SELECT count(*) AS n, sum(reading) AS total, min(reading) AS low, max(reading) AS high
                            FROM readings
                            WHERE readings.customer_id = touched.customer_id AND readings.device_id = touched.device_id
                              AND readings.recorded_at >= touched.bucket_start
                              AND readings.recorded_at < touched.bucket_start + make_interval(mins => {1})) AS stats
        ON CONFLICT (customer_id, device_id, bucket_start) DO UPDATE SET
            reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
            reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max;
        """;

    private static readonly string RecomputeRollupsSql =
        string.Concat(ReadingRollups.All.Select(grain => string.Format(CultureInfo.InvariantCulture, CompositeFormat.Parse(RecomputeRollup), grain.Table, grain.Minutes)));

    public async Task<IngestOutcome> WriteAsync(IReadOnlyList<ReadingToStore> readings, CancellationToken ct)
    {
        var rows = LastPerKey(readings);
        var customerIds = rows.Select(r => r.CustomerId).ToArray();
        var deviceIds = rows.Select(r => r.DeviceId).ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // Claiming and locking the batch's devices: one round trip (Data/DeviceOwners.cs).
        var owners = await DeviceOwners.ClaimAndLockAsync(connection, transaction, deviceIds, customerIds, claim: !options.Value.RequireRegisteredDevices, ct);

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
        // New readings first, as a plain INSERT under a savepoint; if one is stored already, that attempt is
        // undone (with all it added to counts and rollups) and the batch is upserted.
        await transaction.SaveAsync(FreshReadings, ct);
        try
        {
            (inserted, updated) = await WriteReadingsAsync(InsertReadingsSql, connection, transaction, customerIds, deviceIds, recordedAt, values, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync(FreshReadings, ct);
            (inserted, updated) = await WriteReadingsAsync(UpsertReadingsSql, connection, transaction, customerIds, deviceIds, recordedAt, values, ct);
        }

        if (updated > 0)
        {
            await using var recompute = new NpgsqlCommand(RecomputeRollupsSql, connection, transaction);
            recompute.Parameters.Add(new("customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = customerIds });
            recompute.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds });
            recompute.Parameters.Add(new("recorded_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = recordedAt });
            await recompute.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return new IngestOutcome.Stored(inserted, updated, readings.Count - inserted - updated);
    }

    private const string FreshReadings = "fresh_readings";

    private static async Task<(int Inserted, int Updated)> WriteReadingsAsync(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid[] customerIds, Guid[] deviceIds, DateTimeOffset[] recordedAt, double[] values, CancellationToken ct)
    {
        await using var write = new NpgsqlCommand(sql, connection, transaction);
        write.Parameters.Add(new("customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = customerIds });
        write.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds });
        write.Parameters.Add(new("recorded_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = recordedAt });
        write.Parameters.Add(new("readings", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = values });
        await write.PrepareAsync(ct);
        await using var reader = await write.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    /// <summary>
    /// The last reading of each (device, time) of the batch, in key order: ON CONFLICT may touch a row only
    /// once per statement, and rows in key order go into neighbouring index pages. Done here rather than by
    /// a DISTINCT ON in the statement, which sorted every batch inside PostgreSQL (README, "Performance").
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
