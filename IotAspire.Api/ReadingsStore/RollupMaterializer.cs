using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Folds what ingest committed into the rollups, the devices' counts and spans and the per-minute ingest
/// counts, after commit (the way TimescaleDB keeps continuous aggregates), so that the ingest transaction writes
/// the readings and one small <see cref="PendingRollups"/> row per customer instead of several rollup rows per
/// reading. One pass takes pending rows and, in the same transaction, recomputes every five-minute bucket they
/// touch from the readings, the hours around those from the five-minute rollup and the days from the hourly
/// one. Recomputing rather than adding makes late, repeated and changed readings one case, and it is exact
/// whatever the pass sees: a reading committed after a pass took its rows has a pending row of its own.
/// One replica at a time (a PostgreSQL advisory lock), as retention.
/// </summary>
/// <param name="dataSource">The readings database.</param>
/// <param name="maxRowsPerPass">How many pending rows one pass takes at most (the materialization feature's <c>MaxRowsPerPass</c>).</param>
/// <param name="metrics">Where each pass and status is recorded (meter <c>IotAspire.Rollups</c>).</param>
public sealed class RollupMaterializer(NpgsqlDataSource dataSource, int maxRowsPerPass, RollupMetrics metrics)
{
    /// <summary>Held by the replica running a pass; provisioning holds it shared, tests hold it to keep rows pending.</summary>
    public const long AdvisoryLockKey = PendingRollups.MaterializerLockKey;

    // Every part sees the same snapshot: the rollup rows read here are those from before this pass. Per device,
    // the pending spans are widened to whole five-minute buckets and merged (a multirange), and each merged span
    // is one index range of the readings (or of a rollup), read through LATERAL so that it stays a range scan
    // whatever the planner guesses of these CTEs: a pass costs an index descent per device and span, not per
    // bucket (bench/results/2026-12-04-materializer-profile.md). The hours around the recomputed buckets are
    // summed from the new five-minute figures plus the stored ones the pass did not recompute, and the days
    // from the hours likewise. A device's count changes by what its recomputed buckets gained over what they
    // held (a changed reading gains nothing), and only under the customer that owns it now.
    // One customer per statement, every table named with customer_id = @customer_id: on Citus the statement is
    // routed whole to the worker holding that customer's shards, and runs there as on one server.
    private const string Pass = $$"""
        WITH taken AS (
            DELETE FROM {{PendingRollups.Table}} WHERE customer_id = @customer_id
                AND id IN (SELECT id FROM {{PendingRollups.Table}} WHERE customer_id = @customer_id ORDER BY id LIMIT @max_rows)
            RETURNING customer_id, device_ids, first_at, last_at, reading_counts, ingested_at
        ), taken_devices AS (
            SELECT t.customer_id, d.device_id, d.first_at, d.last_at, d.n, t.ingested_at
            FROM taken t CROSS JOIN LATERAL unnest(t.device_ids, t.first_at, t.last_at, t.reading_counts) AS d(device_id, first_at, last_at, n)
        ), ranges AS (
            SELECT customer_id, device_id,
                   range_agg(tstzrange(date_bin(INTERVAL '5 minutes', first_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                       date_bin(INTERVAL '5 minutes', last_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '5 minutes')) AS buckets
            FROM taken_devices GROUP BY 1, 2
        ), five AS (
            SELECT rg.customer_id, rg.device_id, s.bucket_start, s.n, s.total, s.low, s.high, s.first_at, s.last_at
            FROM ranges rg CROSS JOIN LATERAL unnest(rg.buckets) AS span
            CROSS JOIN LATERAL (SELECT date_bin(INTERVAL '5 minutes', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start,
                                       count(*) AS n, sum(reading) AS total, min(reading) AS low, max(reading) AS high,
                                       min(recorded_at) AS first_at, max(recorded_at) AS last_at
                                FROM readings r
                                WHERE r.customer_id = @customer_id AND r.device_id = rg.device_id
                                  AND r.recorded_at >= lower(span) AND r.recorded_at < upper(span)
                                GROUP BY 1) AS s
        ), replaced AS MATERIALIZED (
            SELECT rg.customer_id, rg.device_id, sum(o.n) AS n
            FROM ranges rg CROSS JOIN LATERAL unnest(rg.buckets) AS span
            CROSS JOIN LATERAL (SELECT sum(f.reading_count) AS n FROM {{ReadingRollups.FiveMinuteTable}} f
                                WHERE f.customer_id = @customer_id AND f.device_id = rg.device_id
                                  AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)) AS o
            GROUP BY 1, 2
        ), write_five AS (
            INSERT INTO {{ReadingRollups.FiveMinuteTable}} AS r (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
            SELECT customer_id, device_id, bucket_start, n, total, low, high FROM five
            ON CONFLICT (customer_id, device_id, bucket_start) DO UPDATE SET
                reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
                reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max
        ), hour_ranges AS (
            SELECT rg.customer_id, rg.device_id, rg.buckets,
                   (SELECT range_agg(tstzrange(date_bin(INTERVAL '1 hour', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                               date_bin(INTERVAL '1 hour', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '1 hour'))
                    FROM unnest(rg.buckets) AS span) AS hours
            FROM ranges rg
        ), hourly AS (
            SELECT customer_id, device_id, date_bin(INTERVAL '1 hour', bucket_start, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start,
                   sum(n)::bigint AS n, sum(total) AS total, min(low) AS low, max(high) AS high
            FROM (SELECT customer_id, device_id, bucket_start, n, total, low, high FROM five
                  UNION ALL
                  SELECT hr.customer_id, hr.device_id, f.bucket_start, f.reading_count, f.reading_sum, f.reading_min, f.reading_max
                  FROM hour_ranges hr CROSS JOIN LATERAL unnest(hr.hours) AS span
                  CROSS JOIN LATERAL (SELECT * FROM {{ReadingRollups.FiveMinuteTable}} f
                                      WHERE f.customer_id = @customer_id AND f.device_id = hr.device_id
                                        AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)
                                        AND NOT hr.buckets @> f.bucket_start) AS f) AS parts
            GROUP BY 1, 2, 3
        ), write_hourly AS (
            INSERT INTO {{ReadingRollups.HourlyTable}} AS r (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
            SELECT customer_id, device_id, bucket_start, n, total, low, high FROM hourly
            ON CONFLICT (customer_id, device_id, bucket_start) DO UPDATE SET
                reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
                reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max
        ), day_ranges AS (
            SELECT hr.customer_id, hr.device_id, hr.hours,
                   (SELECT range_agg(tstzrange(date_bin(INTERVAL '1 day', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                               date_bin(INTERVAL '1 day', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '1 day'))
                    FROM unnest(hr.hours) AS span) AS days
            FROM hour_ranges hr
        ), daily AS (
            SELECT customer_id, device_id, date_bin(INTERVAL '1 day', bucket_start, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start,
                   sum(n)::bigint AS n, sum(total) AS total, min(low) AS low, max(high) AS high
            FROM (SELECT customer_id, device_id, bucket_start, n, total, low, high FROM hourly
                  UNION ALL
                  SELECT dr.customer_id, dr.device_id, h.bucket_start, h.reading_count, h.reading_sum, h.reading_min, h.reading_max
                  FROM day_ranges dr CROSS JOIN LATERAL unnest(dr.days) AS span
                  CROSS JOIN LATERAL (SELECT * FROM {{ReadingRollups.HourlyTable}} h
                                      WHERE h.customer_id = @customer_id AND h.device_id = dr.device_id
                                        AND h.bucket_start >= lower(span) AND h.bucket_start < upper(span)
                                        AND NOT dr.hours @> h.bucket_start) AS h) AS parts
            GROUP BY 1, 2, 3
        ), write_daily AS (
            INSERT INTO {{ReadingRollups.DailyTable}} AS r (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
            SELECT customer_id, device_id, bucket_start, n, total, low, high FROM daily
            ON CONFLICT (customer_id, device_id, bucket_start) DO UPDATE SET
                reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
                reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max
        ), counted AS (
            UPDATE devices d SET reading_count = d.reading_count + c.added,
                                 first_reading_at = LEAST(d.first_reading_at, c.first_at),
                                 last_reading_at = GREATEST(d.last_reading_at, c.last_at)
            FROM (SELECT rg.customer_id, rg.device_id, (coalesce(now_held.n, 0) - coalesce(replaced.n, 0))::bigint AS added, now_held.first_at, now_held.last_at
                  FROM ranges rg
                  LEFT JOIN (SELECT customer_id, device_id, sum(n) AS n, min(first_at) AS first_at, max(last_at) AS last_at FROM five GROUP BY 1, 2) AS now_held
                         ON now_held.customer_id = rg.customer_id AND now_held.device_id = rg.device_id
                  LEFT JOIN replaced ON replaced.customer_id = rg.customer_id AND replaced.device_id = rg.device_id) AS c
            WHERE d.customer_id = @customer_id AND d.id = c.device_id AND c.customer_id = @customer_id
        ), ingested AS (
            INSERT INTO ingested_per_minute AS m (customer_id, device_id, minute, reading_count)
            SELECT customer_id, device_id, date_bin(INTERVAL '1 minute', ingested_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), sum(n)::bigint
            FROM taken_devices GROUP BY 1, 2, 3
            ON CONFLICT (customer_id, device_id, minute) DO UPDATE SET reading_count = m.reading_count + EXCLUDED.reading_count
        ), folded AS (
            SELECT device_id, min(first_at) AS first_at, max(last_at) AS last_at FROM taken_devices GROUP BY device_id
        )
        SELECT (SELECT count(*) FROM taken)::int, (SELECT count(*) FROM five)::int, (SELECT min(ingested_at) FROM taken),
               (SELECT array_agg(device_id) FROM folded), (SELECT array_agg(first_at) FROM folded), (SELECT array_agg(last_at) FROM folded)
        """;

    // The pending table is a queue: every row is deleted within seconds, so dead rows pile up faster than
    // autovacuum (a minute apart by default) clears them, and every read that scans it (an administrator's, or
    // Grafana's view) reads the dead pages too: 22 ms for an empty table after a backlog, in one bench run.
    // A VACUUM every few seconds keeps it a few pages long; it truncates the empty pages at its end.
    private const string Vacuum = $"VACUUM {PendingRollups.Table}";

    /// <summary>Clears the pending table's dead rows (outside any transaction; the API's role owns the table).</summary>
    public async Task VacuumAsync(CancellationToken ct)
    {
        await using var vacuum = dataSource.CreateCommand(Vacuum);
        await vacuum.ExecuteNonQueryAsync(ct);
    }

    private const string PendingCustomers = $"SELECT {CitusDistribution.EveryCustomerMarker} customer_id FROM {PendingRollups.Table} GROUP BY customer_id ORDER BY min(id) LIMIT @max_customers";

    private const string Status = $"SELECT {CitusDistribution.EveryCustomerMarker} count(*)::int, min(ingested_at), now() FROM {PendingRollups.Table}";

    /// <summary>
    /// One pass, when no other replica is running one: takes up to <c>maxRowsPerPass</c>
    /// pending rows. Null when another replica holds the turn.
    /// </summary>
    public async Task<MaterializerPass?> RunPassAsync(bool waitForTurn, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var turn = new NpgsqlCommand(waitForTurn ? "SELECT pg_advisory_xact_lock(@key), true" : "SELECT true, pg_try_advisory_xact_lock(@key)", connection, transaction))
        {
            turn.Parameters.Add(new("key", NpgsqlDbType.Bigint) { Value = AdvisoryLockKey });
            await using var reader = await turn.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (!reader.GetBoolean(1))
            {
                return null;
            }
        }

        // The customers with pending rows, the longest waiting first: the one read of the pass across customers
        // (on Citus a query of every worker, once a pass), then a statement per customer.
        var customers = new List<Guid>();
        await using (var pending = new NpgsqlCommand(PendingCustomers, connection, transaction))
        {
            pending.Parameters.Add(new("max_customers", NpgsqlDbType.Integer) { Value = maxRowsPerPass });
            await using var reader = await pending.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                customers.Add(reader.GetGuid(0));
            }
        }

        var pass = new MaterializerPass(0, 0, null, TimeSpan.Zero);
        await using (var fold = new NpgsqlCommand(Pass, connection, transaction))
        await using (var note = new NpgsqlCommand(PendingAlerts.NoteFoldedSql, connection, transaction))
        {
            var noteCustomer = note.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid));
            var noteDevices = note.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid));
            var noteFirst = note.Parameters.Add(new("first_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz));
            var noteLast = note.Parameters.Add(new("last_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz));
            fold.Parameters.Add(new("max_rows", NpgsqlDbType.Integer) { Value = maxRowsPerPass });
            var customer = fold.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid));
            // Up to MaxRowsPerPass rows in all: the customers left wait for the next pass, at the head of its list.
            foreach (var customerId in customers.TakeWhile(_ => pass.Rows < maxRowsPerPass))
            {
                customer.Value = customerId;
                await using (var reader = await fold.ExecuteReaderAsync(ct))
                {
                    await reader.ReadAsync(ct);
                    var oldest = reader.IsDBNull(2) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(2);
                    pass = new MaterializerPass(pass.Rows + reader.GetInt32(0), pass.Buckets + reader.GetInt32(1),
                        pass.OldestIngestedAt is { } before && (oldest is null || before < oldest) ? before : oldest, TimeSpan.Zero);
                    if (reader.IsDBNull(3))
                    {
                        continue;
                    }

                    (noteCustomer.Value, noteDevices.Value, noteFirst.Value, noteLast.Value) =
                        (customerId, reader.GetFieldValue<Guid[]>(3), reader.GetFieldValue<DateTime[]>(4), reader.GetFieldValue<DateTime[]>(5));
                }

                // The devices folded that alert rules watch, for the evaluator (PendingAlerts): committed with the fold.
                await note.ExecuteNonQueryAsync(ct);
            }
        }

        await transaction.CommitAsync(ct);
        pass = pass with { Duration = clock.Elapsed };
        metrics.Record(pass);
        return pass;
    }

    /// <summary>
    /// Returns once every row pending when it was called is folded, running passes (waiting for the turn if
    /// another replica holds it). Retention calls it before deleting, so that no reading is deleted unfolded.
    /// Rows that arrive meanwhile are not waited for: under steady ingest there always are some.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken ct)
    {
        await using var last = dataSource.CreateCommand(LastPendingId);
        if (await last.ExecuteScalarAsync(ct) is not long lastId)
        {
            return;
        }

        await using var remaining = dataSource.CreateCommand(PendingUpTo);
        remaining.Parameters.Add(new("last_id", NpgsqlDbType.Bigint) { Value = lastId });
        while (await remaining.ExecuteScalarAsync(ct) is true)
        {
            await RunPassAsync(waitForTurn: true, ct);
        }
    }

    private const string LastPendingId = $"SELECT {CitusDistribution.EveryCustomerMarker} max(id) FROM {PendingRollups.Table}";
    // SELECT 1: Citus 13.2 fails on an EXISTS over a distributed table with an empty select list.
    private const string PendingUpTo = $"SELECT {CitusDistribution.EveryCustomerMarker} EXISTS (SELECT 1 FROM {PendingRollups.Table} WHERE id <= @last_id)";

    /// <summary>How far behind the rollups are: pending rows and the age of the oldest (its batch's start).</summary>
    public async Task<RollupStatus> StatusAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Status);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var oldest = reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
        var now = reader.GetFieldValue<DateTimeOffset>(2);
        var status = new RollupStatus(reader.GetInt32(0), oldest, oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0);
        metrics.Observe(status);
        return status;
    }
}

/// <summary>One materializer pass: pending rows taken, five-minute buckets recomputed, the oldest row's batch start, how long it took.</summary>
public sealed record MaterializerPass(int Rows, int Buckets, DateTimeOffset? OldestIngestedAt, TimeSpan Duration);

/// <summary>
/// How far the rollups are behind what was acknowledged: rows waiting for the materializer, the start of the
/// oldest one's batch, and its age in seconds (0 when nothing waits). Answers are exact whatever it says.
/// </summary>
public sealed record RollupStatus(int PendingRows, DateTimeOffset? OldestPendingAt, double LagSeconds);

/// <summary>The materializer's figures on the Aspire dashboard (meter <c>IotAspire.Rollups</c>).</summary>
public sealed class RollupMetrics : IDisposable
{
    public const string MeterName = "IotAspire.Rollups";

    private readonly Meter meter = new(MeterName);
    private readonly Histogram<double> passSeconds;
    private readonly Counter<long> rows;
    private RollupStatus last = new(0, null, 0);

    public RollupMetrics()
    {
        passSeconds = meter.CreateHistogram<double>("iotaspire.rollups.pass.duration", "s", "How long one materializer pass took.");
        rows = meter.CreateCounter<long>("iotaspire.rollups.pending_rows.folded", "{row}", "Pending rows folded into the rollups.");
        meter.CreateObservableGauge("iotaspire.rollups.lag", () => Volatile.Read(ref last).LagSeconds, "s",
            "Age of the oldest batch the rollups do not hold yet (0: caught up). Answers are exact either way; lag costs read time.");
        meter.CreateObservableGauge("iotaspire.rollups.pending_rows", () => Volatile.Read(ref last).PendingRows, "{row}", "Pending rows waiting for the materializer.");
    }

    public void Record(MaterializerPass pass)
    {
        passSeconds.Record(pass.Duration.TotalSeconds);
        rows.Add(pass.Rows);
    }

    public void Observe(RollupStatus status) => Volatile.Write(ref last, status);

    public void Dispose() => meter.Dispose();
}
