using IotAspire.Api.ReadingsStore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Retention;

/// <summary>
/// One run of the retention job, for every customer with a retention period: first the cut-offs are
/// recorded (<c>readings_deleted_before</c>: from then on ingest refuses older readings, see
/// <see cref="RetentionBoundaries"/>; batches in flight are waited out, <see cref="IngestBarrier"/>), the rollups
/// brought up to date (<see cref="RollupMaterializer.CatchUpAsync"/>), then the readings before them are deleted series by series in
/// bounded batches, each its own short transaction under the series' row lock, which keeps the series'
/// count and span exact, the alert history of those readings' times, and then the rollup buckets past their own,
/// longer period; last, every customer's finished webhook deliveries past
/// <see cref="RetentionOptions.KeepDeliveriesDays"/>. One replica runs at a
/// time (a PostgreSQL advisory lock); each customer's run is recorded in <c>retention_runs</c>.
/// <para>
/// Rows are deleted rather than partitions dropped: the readings table is not partitioned by time (no
/// read needs it), and a partition could go only once it is older than every customer's period anyway.
/// Both were measured: bench/results/2026-11-28-retention-delete.md.
/// </para>
/// </summary>
public sealed class RetentionRunner(NpgsqlDataSource dataSource, RollupMaterializer materializer, IOptions<RetentionOptions> options, ILogger<RetentionRunner> logger)
{
    private const long AdvisoryLockKey = 0x1_07A5_7E7E;   // "IoT Aspire retention": one run across replicas

    private const string Customers = "SELECT customer_id FROM customer_retention WHERE keep_readings_days IS NOT NULL ORDER BY customer_id";

    // Committed before anything is deleted. GREATEST: a period made longer does not bring deleted data back. The
    // cut-offs are computed in a CTE: Citus refuses now() beside column references in an UPDATE's SET.
    private const string RecordCutoffs = $"""
        WITH cut AS MATERIALIZED (
            SELECT {RetentionBoundaries.ReadingsCutoff} AS readings, {RetentionBoundaries.RollupsCutoff} AS rollups
            FROM customer_retention r WHERE r.customer_id = @customer AND r.keep_readings_days IS NOT NULL
        )
        UPDATE customer_retention r SET
            readings_deleted_before = GREATEST(r.readings_deleted_before, cut.readings),
            rollups_deleted_before = GREATEST(r.rollups_deleted_before, cut.rollups)
        FROM cut
        WHERE r.customer_id = @customer AND r.keep_readings_days IS NOT NULL
        RETURNING r.readings_deleted_before, r.rollups_deleted_before
        """;

    private static readonly Dictionary<string, string> DeleteRollupSql = ReadingRollups.All.ToDictionary(grain => grain.Table, RetentionStatements.DeleteRollup);

    // The alert history follows the readings it is about: changes at reading times before the cut-off go, with their
    // finished webhook deliveries. A delivery still PENDING keeps its change until it is sent or given up. Every table
    // is filtered by the customer, so that on Citus it is one shard's statement.
    private const string DeleteAlertHistory = """
        WITH gone_deliveries AS (
            DELETE FROM alert_deliveries d WHERE d.customer_id = @customer AND d.status <> 'PENDING'
                AND d.alert_id IN (SELECT e.id FROM alert_events e WHERE e.customer_id = @customer AND e.at < @cutoff)
            RETURNING 1
        ), gone_events AS (
            DELETE FROM alert_events e WHERE e.customer_id = @customer AND e.at < @cutoff
                AND NOT EXISTS (SELECT FROM alert_deliveries d WHERE d.customer_id = @customer AND d.alert_id = e.id AND d.status = 'PENDING')
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone_events), (SELECT count(*) FROM gone_deliveries)
        """;

    // Every customer's finished deliveries past Retention:KeepDeliveriesDays, whether or not it has a period: the log
    // of attempts is for finding out why a webhook failed, not a history to keep.
    private const string DeleteOldDeliveries = $"""
        DELETE {CitusDistribution.EveryCustomerMarker} FROM alert_deliveries WHERE status <> 'PENDING' AND created_at < now() - @keep
        """;

    private const string StartRun = """
        INSERT INTO retention_runs (customer_id, started_at, readings_cutoff, rollups_cutoff, readings_deleted, rollup_rows_deleted, outcome)
        VALUES (@customer, now(), @readings_cutoff, @rollups_cutoff, 0, 0, 'running') RETURNING id
        """;

    private const string FinishRun = """
        UPDATE retention_runs SET finished_at = now(), readings_deleted = @readings, rollup_rows_deleted = @rollups, outcome = @outcome
        WHERE customer_id = @customer AND id = @id
        RETURNING customer_id, started_at, finished_at, readings_cutoff, rollups_cutoff, readings_deleted, rollup_rows_deleted, outcome
        """;

    /// <summary>
    /// Runs once for every customer with a period. When a run is going on (here or on another replica), waits
    /// up to <paramref name="waitForTurn"/> for it to end, then returns null.
    /// </summary>
    public async Task<IReadOnlyList<RetentionRunSummary>?> RunOnceAsync(TimeSpan waitForTurn, CancellationToken ct)
    {
        // Held by this session for the run: released when the connection closes, whatever happens.
        await using var lockConnection = await dataSource.OpenConnectionAsync(ct);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", lockConnection))
        {
            tryLock.Parameters.Add(new("key", NpgsqlDbType.Bigint) { Value = AdvisoryLockKey });
            var giveUpAt = DateTime.UtcNow + waitForTurn;
            while (await tryLock.ExecuteScalarAsync(ct) is not true)
            {
                if (DateTime.UtcNow >= giveUpAt)
                {
                    return null;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }

        var customers = new List<Guid>();
        await using (var list = dataSource.CreateCommand(Customers))
        await using (var reader = await list.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                customers.Add(reader.GetGuid(0));
            }
        }

        var runs = new List<RetentionRunSummary>(customers.Count);
        foreach (var customer in customers)
        {
            runs.Add(await RunForAsync(customer, ct));
        }

        await using (var deliveries = dataSource.CreateCommand(DeleteOldDeliveries))
        {
            deliveries.Parameters.Add(new("keep", NpgsqlDbType.Interval) { Value = TimeSpan.FromDays(options.Value.KeepDeliveriesDays) });
            var deleted = await deliveries.ExecuteNonQueryAsync(ct);
            logger.LogInformation("Retention: {Deliveries} finished webhook deliveries older than {Days} days deleted", deleted, options.Value.KeepDeliveriesDays);
        }

        return runs;
    }

    private async Task<RetentionRunSummary> RunForAsync(Guid customer, CancellationToken ct)
    {
        DateTimeOffset readingsCutoff;
        DateTimeOffset? rollupsCutoff;
        await using (var record = dataSource.CreateCommand(RecordCutoffs))
        {
            record.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customer });
            await using var reader = await record.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return new RetentionRunSummary(customer, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, null, 0, 0, "skipped: its period was removed meanwhile");
            }

            readingsCutoff = reader.GetFieldValue<DateTimeOffset>(0);
            rollupsCutoff = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
        }

        // Batches in flight may have read the old cut-off: wait them out, and every later batch refuses what is
        // about to go. Then fold what is pending into the rollups, which outlive the readings: a reading deleted
        // before the materializer counted it would be missing from them for good.
        await IngestBarrier.WaitOutInFlightAsync(dataSource, ct);
        await materializer.CatchUpAsync(ct);

        long runId;
        await using (var start = dataSource.CreateCommand(StartRun))
        {
            start.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customer });
            start.Parameters.Add(new("readings_cutoff", NpgsqlDbType.TimestampTz) { Value = readingsCutoff });
            start.Parameters.Add(new("rollups_cutoff", NpgsqlDbType.TimestampTz) { Value = (object?)rollupsCutoff ?? DBNull.Value });
            runId = (long)(await start.ExecuteScalarAsync(ct))!;
        }

        long readings = 0, rollupRows = 0;
        var outcome = "completed";
        try
        {
            foreach (var series in await SeriesAsync(customer, readingsCutoff, ct))
            {
                readings += await DeleteReadingsAsync(customer, series, readingsCutoff, ct);
            }

            await DeleteAlertHistoryAsync(customer, readingsCutoff, ct);
            if (rollupsCutoff is { } cutoff)
            {
                foreach (var series in await SeriesAsync(customer, cutoff, ct))
                {
                    // The daily rollup last: it is what finds the series.
                    foreach (var grain in ReadingRollups.All)
                    {
                        rollupRows += await DeleteRollupAsync(grain.Table, customer, series, cutoff, ct);
                    }
                }
            }
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            // What was deleted stays deleted (each batch committed), and the next run goes on from there.
            outcome = e is OperationCanceledException ? "cancelled" : $"failed: {e.Message}";
            logger.LogWarning(e, "Retention for customer {Customer} stopped after {Readings} readings and {Rollups} rollup rows", customer, readings, rollupRows);
        }

        await using var finish = dataSource.CreateCommand(FinishRun);
        finish.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customer });
        finish.Parameters.Add(new("id", NpgsqlDbType.Bigint) { Value = runId });
        finish.Parameters.Add(new("readings", NpgsqlDbType.Bigint) { Value = readings });
        finish.Parameters.Add(new("rollups", NpgsqlDbType.Bigint) { Value = rollupRows });
        finish.Parameters.Add(new("outcome", NpgsqlDbType.Text) { Value = outcome });
        await using var finished = await finish.ExecuteReaderAsync(CancellationToken.None);
        await finished.ReadAsync(CancellationToken.None);
        logger.LogInformation("Retention for customer {Customer}: {Readings} readings before {ReadingsCutoff} and {Rollups} rollup rows before {RollupsCutoff} deleted ({Outcome})",
            customer, readings, readingsCutoff, rollupRows, rollupsCutoff, outcome);
        return RetentionStore.ReadRun(finished);
    }

    private async Task DeleteAlertHistoryAsync(Guid customer, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(DeleteAlertHistory);
        command.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customer });
        command.Parameters.Add(new("cutoff", NpgsqlDbType.TimestampTz) { Value = cutoff });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        logger.LogInformation("Retention for customer {Customer}: {Changes} alert changes and {Deliveries} webhook deliveries before {Cutoff} deleted",
            customer, reader.GetInt64(0), reader.GetInt64(1), cutoff);
    }

    private async Task<List<Guid>> SeriesAsync(Guid customer, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(RetentionStatements.SeriesBefore);
        command.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customer });
        command.Parameters.Add(new("cutoff", NpgsqlDbType.TimestampTz) { Value = cutoff });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var series = new List<Guid>();
        while (await reader.ReadAsync(ct))
        {
            series.Add(reader.GetGuid(0));
        }

        return series;
    }

    private async Task<long> DeleteReadingsAsync(Guid customer, Guid series, DateTimeOffset cutoff, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands = { new NpgsqlBatchCommand(RetentionStatements.LockSeries), new NpgsqlBatchCommand(RetentionStatements.DeleteReadings), new NpgsqlBatchCommand(RetentionStatements.RecomputeSpan) },
            };
            foreach (var command in batch.BatchCommands)
            {
                command.Parameters.Add(new NpgsqlParameter("customer", NpgsqlDbType.Uuid) { Value = customer });
                command.Parameters.Add(new NpgsqlParameter("series", NpgsqlDbType.Uuid) { Value = series });
                command.Parameters.Add(new NpgsqlParameter("cutoff", NpgsqlDbType.TimestampTz) { Value = cutoff });
                command.Parameters.Add(new NpgsqlParameter("batch", NpgsqlDbType.Integer) { Value = options.Value.BatchSize });
            }

            long deleted;
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                await reader.NextResultAsync(ct);   // past the lock
                await reader.ReadAsync(ct);
                deleted = reader.GetInt64(0);
            }

            await transaction.CommitAsync(ct);
            total += deleted;
            if (deleted < options.Value.BatchSize)
            {
                return total;
            }
        }
    }

    private async Task<long> DeleteRollupAsync(string table, Guid customer, Guid series, DateTimeOffset cutoff, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            await using var command = dataSource.CreateCommand(DeleteRollupSql[table]);
            command.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customer });
            command.Parameters.Add(new("series", NpgsqlDbType.Uuid) { Value = series });
            command.Parameters.Add(new("cutoff", NpgsqlDbType.TimestampTz) { Value = cutoff });
            command.Parameters.Add(new("batch", NpgsqlDbType.Integer) { Value = options.Value.BatchSize });
            var deleted = (long)(await command.ExecuteScalarAsync(ct))!;
            total += deleted;
            if (deleted < options.Value.BatchSize)
            {
                return total;
            }
        }
    }
}
