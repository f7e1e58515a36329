namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// The materializer's statements for a group of customers (on Citus, customers of one shard):
/// <see cref="FoldStatements.Take"/> takes their pending rows, then
/// <see cref="FoldStatements.Writes"/> (one batch, one round trip) recompute every bucket of every grain
/// (<see cref="ReadingRollups.All"/>) they touch, the series' counts, spans and latest values, and the per-minute ingest
/// counts. Built from one block per grain, so a grain added to <see cref="ReadingRollups.All"/> is folded with no other
/// change here; their full text is in the unit tests' expected SQL (<c>fold-take.sql</c>, <c>fold-writes.sql</c>).
/// <para>
/// Per series, the pending spans are widened to whole buckets of the finest grain and merged (a multirange), and each
/// merged span is one index range of the readings (or of a rollup), read through LATERAL so that it stays a range scan
/// whatever the planner guesses of these CTEs: a pass costs an index descent per series and span, not per bucket
/// (bench/results/2026-12-04-materializer-profile.md). The finest buckets, the series' counts (what their recomputed
/// buckets gained over what they held: a changed reading gains nothing) and their latest values come from one
/// statement, so from one snapshot of the readings. Each coarser grain's buckets around the recomputed ones are then
/// summed from the grain before it as the same transaction just wrote it.
/// </para>
/// <para>
/// Several statements, not one with a CTE per write: Citus routes a statement whole to the customer's worker only when
/// its CTEs are SELECT, UPDATE or DELETE. The single statement this replaced had four INSERT CTEs, and Citus planned it
/// as 19 subplans, each a round trip through the coordinator with its intermediate result: about 90 ms a fold against
/// 3 to 15 ms on one server, 100 customers a pass (bench/results/2026-12-07-telemetry-keys-citus.md). Every statement
/// here names <c>customer_id = ANY(@group_customers)</c> on every table it reads, and each coarser grain's INSERT ... SELECT
/// takes its customer from the finer table's row, so that Citus pushes it down to the shard as it is. A statement for
/// several customers of one shard is routed as one for a single customer is, and costs a pass one set of round trips
/// for the group instead of one per customer: the group is the unit, and every join is on the customer as well as the
/// series.
/// </para>
/// </summary>
public static class FoldStatement
{
    /// <summary>The statements over <see cref="ReadingRollups.All"/>.</summary>
    public static readonly FoldStatements Pass = For(ReadingRollups.All);

    /// <summary>The statements for <paramref name="grains"/>, finest first.</summary>
    public static FoldStatements For(IReadOnlyList<RollupGrain> grains)
    {
        var writes = new List<string> { Finest(grains[0]) };
        for (var i = 1; i < grains.Count; i++)
        {
            writes.Add(Coarser(grains, i));
        }

        writes.Add(Ingested);
        return new FoldStatements(Take(grains[0]), writes);
    }

    /// <summary>
    /// The customers with pending rows, the longest waiting first (parameter <c>@max_customers</c>), each with its shard
    /// on Citus (the shard of its <c>rollup_pending</c> rows, co-located with all its tables) or 0 on one server: a pass
    /// folds the customers of a shard together (<see cref="FoldGroups"/>).
    /// </summary>
    public static string PendingCustomers(bool citus) => $"""
        SELECT {CitusDistribution.EveryCustomerMarker} customer_id, {(citus ? ShardOfCustomer : "0::bigint")} AS shard
        FROM {PendingRollups.Table} GROUP BY customer_id ORDER BY min(id) LIMIT @max_customers
        """;

    private const string ShardOfCustomer = $"get_shard_id_for_distribution_column('{PendingRollups.Table}', customer_id)";

    /// <summary>The columns of <see cref="FoldStatements.Take"/>'s one row, read by name; its arrays (parallel, by
    /// prefix) are named as the parameters of the writes that take them (<see cref="WriteParameter"/>).</summary>
    public static class Result
    {
        public const string TakenRows = "taken_rows";
        public const string OldestIngestedAt = "oldest_ingested_at";
        public const string FoldedCustomerIds = "folded_customer_ids";
        public const string FoldedSeriesIds = "folded_series_ids";
        public const string FoldedFirstAt = "folded_first_at";
        public const string FoldedLastAt = "folded_last_at";
    }

    /// <summary>
    /// The parameters of <see cref="FoldStatements.Writes"/>: the group's customers (each once: every table's filter,
    /// what Citus routes by); the finest grain's spans to recompute, merged per series (one element a span); and the
    /// per-minute ingest counts (one element a series and minute). The arrays are <see cref="FoldStatements.Take"/>'s
    /// columns of the same names: what the take has already merged, so a pass over 40 batches of a series sends the
    /// writes its one span, not 40.
    /// </summary>
    public static class WriteParameter
    {
        public const string GroupCustomers = "group_customers";
        public const string SpanCustomerIds = "span_customer_ids";
        public const string SpanSeriesIds = "span_series_ids";
        public const string SpanStarts = "span_starts";
        public const string SpanEnds = "span_ends";
        public const string MinuteCustomerIds = "minute_customer_ids";
        public const string MinuteSeriesIds = "minute_series_ids";
        public const string Minutes = "minutes";
        public const string MinuteCounts = "minute_counts";
    }

    // The pending rows taken (oldest first, up to @max_rows), returned as the writes take them: per series the finest
    // buckets they touch, merged, and the per-minute counts; and each series once with the span of all its taken rows,
    // for the observers (the alerts). A DELETE CTE and SELECTs: routed whole on Citus.
    private static string Take(RollupGrain finest) => $"""
        WITH taken AS (
            DELETE FROM {PendingRollups.Table} WHERE customer_id = ANY(@group_customers)
                AND id IN (SELECT id FROM {PendingRollups.Table} WHERE customer_id = ANY(@group_customers) ORDER BY id LIMIT @max_rows)
            RETURNING customer_id, series_ids, first_at, last_at, reading_counts, ingested_at
        ), taken_series AS (
            SELECT t.customer_id, d.series_id, d.first_at, d.last_at, d.n, t.ingested_at
            FROM taken t CROSS JOIN LATERAL unnest(t.series_ids, t.first_at, t.last_at, t.reading_counts) AS d(series_id, first_at, last_at, n)
        ), {FinestSpans(finest)}, taken_spans AS (
            SELECT s.customer_id, s.series_id, lower(span) AS span_start, upper(span) AS span_end
            FROM spans_{finest.Name} s CROSS JOIN LATERAL unnest(s.spans) AS span
        ), minutes AS (
            SELECT customer_id, series_id, date_bin(INTERVAL '1 minute', ingested_at, {ReadingRollups.Epoch}) AS minute, sum(n)::bigint AS n
            FROM taken_series GROUP BY 1, 2, 3
        ), folded AS (
            SELECT customer_id, series_id, min(first_at) AS first_at, max(last_at) AS last_at FROM taken_series GROUP BY 1, 2
        )
        SELECT (SELECT count(*) FROM taken)::int AS {Result.TakenRows}, (SELECT min(ingested_at) FROM taken) AS {Result.OldestIngestedAt},
               (SELECT array_agg(customer_id) FROM taken_spans) AS {WriteParameter.SpanCustomerIds}, (SELECT array_agg(series_id) FROM taken_spans) AS {WriteParameter.SpanSeriesIds},
               (SELECT array_agg(span_start) FROM taken_spans) AS {WriteParameter.SpanStarts}, (SELECT array_agg(span_end) FROM taken_spans) AS {WriteParameter.SpanEnds},
               (SELECT array_agg(customer_id) FROM minutes) AS {WriteParameter.MinuteCustomerIds}, (SELECT array_agg(series_id) FROM minutes) AS {WriteParameter.MinuteSeriesIds},
               (SELECT array_agg(minute) FROM minutes) AS {WriteParameter.Minutes}, (SELECT array_agg(n) FROM minutes) AS {WriteParameter.MinuteCounts},
               (SELECT array_agg(customer_id) FROM folded) AS {Result.FoldedCustomerIds},
               (SELECT array_agg(series_id) FROM folded) AS {Result.FoldedSeriesIds}, (SELECT array_agg(first_at) FROM folded) AS {Result.FoldedFirstAt},
               (SELECT array_agg(last_at) FROM folded) AS {Result.FoldedLastAt}
        """;

    // The spans the take merged, from the parameters: what every grain's write starts from.
    private static string TakenSpans(RollupGrain finest) => $"""
        spans_{finest.Name} AS (
            SELECT d.customer_id, d.series_id, range_agg(tstzrange(d.span_start, d.span_end)) AS spans
            FROM unnest(@{WriteParameter.SpanCustomerIds}, @{WriteParameter.SpanSeriesIds}, @{WriteParameter.SpanStarts}, @{WriteParameter.SpanEnds})
                AS d(customer_id, series_id, span_start, span_end)
            GROUP BY 1, 2
        )
        """;

    // The finest grain: its buckets recomputed from the readings, and in the same statement (the same snapshot) the
    // series' counts, spans and latest values moved by them. The INSERT is the statement's own, its CTEs a SELECT and an
    // UPDATE: on Citus the SELECT runs whole on the customer's worker and its rows are written back to the same shard.
    // The rows' customer is the readings' (taken from a parameter there, Citus 13.2 failed to plan the prepared
    // statement: "could not create distributed plan").
    private static string Finest(RollupGrain grain) => $"""
        WITH {TakenSpans(grain)},
        {FinestFigures(grain)},
        {Replaced(grain)},
        {Counted(grain)}
        INSERT INTO {grain.Table} AS r (customer_id, series_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
        SELECT customer_id, series_id, bucket_start, n, total, low, high FROM {grain.Name}
        {Upsert}
        """;

    // A coarser grain: its buckets around the finer grain's recomputed spans, summed from the finer grain's rows as this
    // transaction wrote them. The finer rows are read per span, in a subquery kept apart by OFFSET 0, so the span's bounds
    // are the index range: pulled up into a join, PostgreSQL chose (by its estimates) to read every stored bucket of the
    // series and filter by the span after, so a pass over a series cost as much as the series' history (168 hourly rows
    // for one day's buckets after a week, 8 760 after a year: EXPLAIN ANALYZE, bench/results/2026-12-07-telemetry-keys.md,
    // "Third pass"). The customer is the finer row's, so that Citus pushes the INSERT ... SELECT down to the shard.
    private static string Coarser(IReadOnlyList<RollupGrain> grains, int index)
    {
        var (grain, finer) = (grains[index], grains[index - 1]);
        var spans = new List<string> { TakenSpans(grains[0]) };
        for (var i = 1; i <= index; i++)
        {
            spans.Add(CoarserSpans(grains[i], grains[i - 1]));
        }

        return $"""
            WITH {string.Join(",\n", spans)}
            INSERT INTO {grain.Table} AS r (customer_id, series_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
            SELECT f.customer_id, f.series_id, {grain.BucketOf("f.bucket_start")},
                   sum(f.reading_count)::bigint, sum(f.reading_sum), min(f.reading_min), max(f.reading_max)
            FROM spans_{grain.Name} s CROSS JOIN LATERAL unnest(s.spans) AS span
            CROSS JOIN LATERAL (SELECT * FROM {finer.Table} f
                                WHERE f.customer_id = ANY(@group_customers) AND f.customer_id = s.customer_id AND f.series_id = s.series_id
                                  AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)
                                OFFSET 0) AS f
            GROUP BY 1, 2, 3
            {Upsert}
            """;
    }

    // A recomputed bucket replaces what the grain held for it.
    private const string Upsert = """
        ON CONFLICT (customer_id, series_id, bucket_start) DO UPDATE SET
            reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
            reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max
        """;

    // Per series, the finest buckets the taken spans touch, merged.
    private static string FinestSpans(RollupGrain grain) => $"""
        spans_{grain.Name} AS (
            SELECT customer_id, series_id,
                   range_agg(tstzrange({grain.BucketOf("first_at")}, {grain.BucketOf("last_at")} + {grain.Interval})) AS spans
            FROM taken_series GROUP BY 1, 2
        )
        """;

    // The finest buckets recomputed from the readings (with each bucket's first and last reading time, for the series' spans,
    // and its last reading's value, for the series' latest value).
    private static string FinestFigures(RollupGrain grain) => $"""
        {grain.Name} AS (
            SELECT b.customer_id, s.series_id, b.bucket_start, b.n, b.total, b.low, b.high, b.first_at, b.last_at, b.last_reading
            FROM spans_{grain.Name} s CROSS JOIN LATERAL unnest(s.spans) AS span
            CROSS JOIN LATERAL (SELECT r.customer_id, {grain.BucketOf("recorded_at")} AS bucket_start,
                                       count(*) AS n, sum(reading) AS total, min(reading) AS low, max(reading) AS high,
                                       min(recorded_at) AS first_at, max(recorded_at) AS last_at,
                                       (array_agg(reading ORDER BY recorded_at DESC))[1] AS last_reading
                                FROM readings r
                                WHERE r.customer_id = ANY(@group_customers) AND r.customer_id = s.customer_id AND r.series_id = s.series_id
                                  AND r.recorded_at >= lower(span) AND r.recorded_at < upper(span)
                                GROUP BY 1, 2) AS b
        )
        """;

    // What the finest buckets being replaced held, per series: what the series' count loses before it gains the new figures.
    private static string Replaced(RollupGrain grain) => $"""
        replaced AS MATERIALIZED (
            SELECT s.customer_id, s.series_id, sum(o.n) AS n
            FROM spans_{grain.Name} s CROSS JOIN LATERAL unnest(s.spans) AS span
            CROSS JOIN LATERAL (SELECT sum(f.reading_count) AS n FROM {grain.Table} f
                                WHERE f.customer_id = ANY(@group_customers) AND f.customer_id = s.customer_id AND f.series_id = s.series_id
                                  AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)) AS o
            GROUP BY 1, 2
        )
        """;

    // Per series, the buckets of this grain around the finer grain's recomputed spans.
    private static string CoarserSpans(RollupGrain grain, RollupGrain finer) => $"""
        spans_{grain.Name} AS (
            SELECT s.customer_id, s.series_id,
                   (SELECT range_agg(tstzrange({grain.BucketOf("lower(span)")},
                                               {grain.BucketOf("upper(span) - INTERVAL '1 microsecond'")} + {grain.Interval}))
                    FROM unnest(s.spans) AS span) AS spans
            FROM spans_{finer.Name} s
        )
        """;

    // The series' counts and spans move by what their finest buckets now hold over what they held: one grouping over
    // both, never a join of two CTEs (PostgreSQL estimates a CTE scan at a few rows and joined them by nested loop,
    // quadratic in the series of a pass: 7 000 series took 33 s, past the statement timeout, and the pass never ended).
    // A series with neither (no buckets before or after) adds nothing and keeps its span, so it is left out.
    // The series' latest value is its newest recomputed reading's when that is at or after the newest it held (a
    // reading changed at that time is recomputed too); a late reading leaves it as it was. The row is written anyway,
    // so keeping it costs the pass no write (latest reads it: BucketStatements.LatestOf).
    private static string Counted(RollupGrain finest) => $"""
        counted AS (
            UPDATE {Series.Table} d SET reading_count = d.reading_count + c.added,
                                 first_reading_at = LEAST(d.first_reading_at, c.first_at),
                                 last_reading_at = GREATEST(d.last_reading_at, c.last_at),
                                 last_reading = CASE WHEN c.last_at >= d.last_reading_at OR d.last_reading_at IS NULL THEN c.last_reading
                                                     ELSE d.last_reading END
            FROM (SELECT customer_id, series_id, sum(n)::bigint AS added, min(first_at) AS first_at, max(last_at) AS last_at,
                         (array_agg(last_reading ORDER BY last_at DESC) FILTER (WHERE last_at IS NOT NULL))[1] AS last_reading
                  FROM (SELECT customer_id, series_id, n, first_at, last_at, last_reading FROM {finest.Name}
                        UNION ALL
                        SELECT customer_id, series_id, -coalesce(n, 0), NULL, NULL, NULL FROM replaced) AS moved
                  GROUP BY 1, 2) AS c
            WHERE d.customer_id = ANY(@group_customers) AND d.customer_id = c.customer_id AND d.id = c.series_id
        )
        """;

    // The per-minute ingest counts, by the time ingest stored each batch (summed per series and minute by the take).
    private const string Ingested = $"""
        INSERT INTO ingested_per_minute AS m (customer_id, series_id, minute, reading_count)
        SELECT * FROM unnest(@{WriteParameter.MinuteCustomerIds}, @{WriteParameter.MinuteSeriesIds}, @{WriteParameter.Minutes}, @{WriteParameter.MinuteCounts})
        ON CONFLICT (customer_id, series_id, minute) DO UPDATE SET reading_count = m.reading_count + EXCLUDED.reading_count
        """;
}

/// <summary>
/// A group's fold: <see cref="Take"/> (parameters <c>@group_customers</c>, the group, and <c>@max_rows</c>; one row, its columns
/// <see cref="FoldStatement.Result"/> and the writes' arrays), then <see cref="Writes"/> in one batch (parameters
/// <see cref="FoldStatement.WriteParameter"/>, each statement those it names), the finest grain's first: its rows
/// affected are the buckets recomputed.
/// </summary>
public sealed record FoldStatements(string Take, IReadOnlyList<string> Writes);
