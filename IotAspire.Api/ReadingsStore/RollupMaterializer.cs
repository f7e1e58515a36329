using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Folds what ingest committed into the rollups, the series' counts and spans and the per-minute ingest
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
/// <param name="observers">Told of each customer's folded series inside the transaction that folds it.</param>
/// <param name="foldConnections">How many connections fold groups of customers at once in a pass (the materialization feature's <c>FoldConnections</c>).</param>
public sealed class RollupMaterializer(NpgsqlDataSource dataSource, int maxRowsPerPass, RollupMetrics metrics, IEnumerable<IFoldObserver> observers, int foldConnections = 1)
{
    /// <summary>Held by the replica running a pass; provisioning holds it shared, tests hold it to keep rows pending.</summary>
    public const long AdvisoryLockKey = PendingRollups.MaterializerLockKey;

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

    private const string Status = $"SELECT {CitusDistribution.EveryCustomerMarker} count(*)::int, min(ingested_at), now() FROM {PendingRollups.Table}";

    /// <summary>
    /// One pass, when no other replica is running one: takes up to <c>maxRowsPerPass</c>
    /// pending rows. Null when another replica holds the turn.
    /// </summary>
    public async Task<MaterializerPass?> RunPassAsync(bool waitForTurn, CancellationToken ct)
    {
        try
        {
            var pass = await RunBoundedPassAsync(waitForTurn, rowsPerPass, ct);
            rowsPerPass = Math.Min(MaxRowsPerPass, rowsPerPass + Math.Max(1, rowsPerPass / 4));
            return pass;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.QueryCanceled && rowsPerPass > 1)
        {
            // A pass past the statement timeout is undone whole; the same pass would be again. Take half as many rows
            // next time (down to one batch), and grow back by a quarter once passes succeed (doubling made every other
            // pass fail again): a backlog of large batches (10 M values of 3 000 series written at once, in the bench)
            // is then folded in passes that finish.
            rowsPerPass = Math.Max(1, rowsPerPass / 2);
            throw;
        }
    }

    // The most pending rows a pass takes, and how many the next pass takes: that, halved after a pass ran out of time.
    private readonly int MaxRowsPerPass = maxRowsPerPass;
    private int rowsPerPass = maxRowsPerPass;

    private async Task<MaterializerPass?> RunBoundedPassAsync(bool waitForTurn, int maxRowsPerPass, CancellationToken ct)
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

        // The customers with pending rows, the longest waiting first, with their shard on Citus: the one read of the pass
        // across customers (on Citus a query of every worker, once a pass), then the folds of groups of them.
        onCitus ??= await CitusDistribution.IsCitusAsync(connection, transaction, ct);
        var customers = new List<PendingCustomer>();
        await using (var pending = new NpgsqlCommand(FoldStatement.PendingCustomers(onCitus.Value), connection, transaction))
        {
            pending.Parameters.Add(new("max_customers", NpgsqlDbType.Integer) { Value = maxRowsPerPass });
            await using var reader = await pending.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                customers.Add(new PendingCustomer(reader.GetGuid(0), reader.GetInt64(1)));
            }
        }

        // Up to MaxRowsPerPass rows in all: the groups left wait for the next pass, at the head of its list.
        var groups = FoldGroups.Of(customers);
        var queue = new FoldQueue(groups, maxRowsPerPass);
        var lanes = Math.Min(foldConnections, groups.Count);
        var parts = await Task.WhenAll(Enumerable.Range(0, Math.Max(1, lanes)).Select(lane => lane == 0
            ? FoldAsync(connection, transaction, queue, ct)
            : FoldOnOwnConnectionAsync(queue, ct)));
        var pass = parts.Aggregate(new MaterializerPass(0, 0, null, TimeSpan.Zero), (a, b) => new MaterializerPass(
            a.Rows + b.Rows, a.Buckets + b.Buckets, Earliest(a.OldestIngestedAt, b.OldestIngestedAt), TimeSpan.Zero));
        await transaction.CommitAsync(ct);
        pass = pass with { Duration = clock.Elapsed };
        metrics.Record(pass);
        return pass;
    }

    // Whether the database has Citus (asked once): which statement lists the pending customers.
    private bool? onCitus;

    /// <summary>
    /// The groups of a pass, taken one at a time by the connections folding them, until the pass has taken its rows.
    /// </summary>
    private sealed class FoldQueue(IEnumerable<Guid[]> groups, int maxRows)
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Guid[]> waiting = new(groups);
        private int rows;

        /// <summary>The most pending rows the pass takes (and so one group's take).</summary>
        public int MaxRows => maxRows;

        public bool TryTake(out Guid[] group)
        {
            group = [];
            return Volatile.Read(ref rows) < maxRows && waiting.TryDequeue(out group!);
        }

        public void Taken(int count) => Interlocked.Add(ref rows, count);
    }

    /// <summary>
    /// A further connection folding groups of the pass in a transaction of its own while the pass's transaction holds
    /// the turn: on Citus each group's statements run on its worker, so connections fold on both workers at once
    /// instead of waiting for each other's round trips. Every group's fold stands alone (its own pending rows, its
    /// own rows of every table), so a connection committing before the pass's does cannot expose a half-folded batch.
    /// </summary>
    private async Task<MaterializerPass> FoldOnOwnConnectionAsync(FoldQueue queue, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var pass = await FoldAsync(connection, transaction, queue, ct);
        await transaction.CommitAsync(ct);
        return pass;
    }

    /// <summary>Folds groups taken from <paramref name="queue"/>, one after another, in <paramref name="transaction"/>; what they took.</summary>
    private async Task<MaterializerPass> FoldAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, FoldQueue queue, CancellationToken ct)
    {
        var pass = new MaterializerPass(0, 0, null, TimeSpan.Zero);
        await using var take = new NpgsqlCommand(FoldStatement.Pass.Take, connection, transaction);
        take.Parameters.Add(new("max_rows", NpgsqlDbType.Integer) { Value = queue.MaxRows });
        var takeCustomers = take.Parameters.Add(new(FoldStatement.WriteParameter.GroupCustomers, NpgsqlDbType.Array | NpgsqlDbType.Uuid));
        await using var writes = new NpgsqlBatch(connection, transaction);
        var parameters = new List<NpgsqlParameter>();
        foreach (var sql in FoldStatement.Pass.Writes)
        {
            var command = new NpgsqlBatchCommand(sql);
            writes.BatchCommands.Add(command);
            foreach (var (name, type) in WriteParameterTypes.Where(parameter => sql.Contains($"@{parameter.Key}", StringComparison.Ordinal)))
            {
                parameters.Add(command.Parameters.Add(new NpgsqlParameter(name, type)));
            }
        }

        // Prepared on each physical connection once (Npgsql keeps them across the pool): they are the same for every
        // group and pass, and PostgreSQL planned the fold anew each time, 4 to 5 ms of a 15 ms fold; after five runs
        // it keeps a generic plan, which also looks series up by key (docs/rollups.md).
        await take.PrepareAsync(ct);
        await writes.PrepareAsync(ct);
        while (queue.TryTake(out var group))
        {
            takeCustomers.Value = group;
            IReadOnlyList<FoldedSeries> folded;
            await using (var reader = await take.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                var taken = reader.GetInt32(reader.GetOrdinal(FoldStatement.Result.TakenRows));
                queue.Taken(taken);
                if (taken == 0 || reader.IsDBNull(reader.GetOrdinal(FoldStatement.Result.FoldedSeriesIds)))
                {
                    continue;
                }

                pass = pass with
                {
                    Rows = pass.Rows + taken,
                    OldestIngestedAt = Earliest(pass.OldestIngestedAt, reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal(FoldStatement.Result.OldestIngestedAt))),
                };
                // Each of the take's arrays read once, however many writes take it (the spans: one a grain).
                var values = new Dictionary<string, object> { [FoldStatement.WriteParameter.GroupCustomers] = group };
                foreach (var parameter in parameters)
                {
                    var name = parameter.ParameterName;
                    parameter.Value = values.TryGetValue(name, out var value) ? value : values[name] = reader.GetValue(reader.GetOrdinal(name));
                }

                folded = FoldedSeries.PerCustomer(
                    reader.GetFieldValue<Guid[]>(reader.GetOrdinal(FoldStatement.Result.FoldedCustomerIds)),
                    reader.GetFieldValue<Guid[]>(reader.GetOrdinal(FoldStatement.Result.FoldedSeriesIds)),
                    reader.GetFieldValue<DateTime[]>(reader.GetOrdinal(FoldStatement.Result.FoldedFirstAt)),
                    reader.GetFieldValue<DateTime[]>(reader.GetOrdinal(FoldStatement.Result.FoldedLastAt)));
            }

            await writes.ExecuteNonQueryAsync(ct);
            pass = pass with { Buckets = pass.Buckets + writes.BatchCommands[0].RecordsAffected };

            // Whoever must know which series were folded (the alerts feature) writes it now: committed with the fold.
            foreach (var customer in folded)
            {
                foreach (var observer in observers)
                {
                    await observer.OnFoldedAsync(connection, transaction, customer, ct);
                }
            }
        }

        return pass;
    }

    // The types of the writes' parameters (FoldStatement.WriteParameter), for preparing them before any value is set.
    private static readonly Dictionary<string, NpgsqlDbType> WriteParameterTypes = new()
    {
        [FoldStatement.WriteParameter.GroupCustomers] = NpgsqlDbType.Array | NpgsqlDbType.Uuid,
        [FoldStatement.WriteParameter.SpanCustomerIds] = NpgsqlDbType.Array | NpgsqlDbType.Uuid,
        [FoldStatement.WriteParameter.SpanSeriesIds] = NpgsqlDbType.Array | NpgsqlDbType.Uuid,
        [FoldStatement.WriteParameter.SpanStarts] = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        [FoldStatement.WriteParameter.SpanEnds] = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        [FoldStatement.WriteParameter.MinuteCustomerIds] = NpgsqlDbType.Array | NpgsqlDbType.Uuid,
        [FoldStatement.WriteParameter.MinuteSeriesIds] = NpgsqlDbType.Array | NpgsqlDbType.Uuid,
        [FoldStatement.WriteParameter.Minutes] = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        [FoldStatement.WriteParameter.MinuteCounts] = NpgsqlDbType.Array | NpgsqlDbType.Bigint,
    };

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is { } x && (b is null || x < b) ? x : b;

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
