namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// The materializer's statement: takes one customer's pending rows and, in the same statement, recomputes every bucket
/// of every grain (<see cref="ReadingRollups.All"/>) they touch, the series' counts and spans and the per-minute ingest
/// counts. Built from one block per grain, so a grain added to <see cref="ReadingRollups.All"/> is folded with no other
/// change here; its full text is in the unit tests' expected SQL (<c>fold-pass.sql</c>).
/// <para>
/// Every part sees the same snapshot: the rollup rows read here are those from before this pass. Per series, the pending
/// spans are widened to whole buckets of the finest grain and merged (a multirange), and each merged span is one index
/// range of the readings (or of a rollup), read through LATERAL so that it stays a range scan whatever the planner
/// guesses of these CTEs: a pass costs an index descent per series and span, not per bucket
/// (bench/results/2026-12-04-materializer-profile.md). Each coarser grain's buckets around the recomputed ones are summed
/// from the new figures of the grain before it plus the stored ones the pass did not recompute. A series' count changes
/// by what its recomputed finest buckets gained over what they held (a changed reading gains nothing). One customer per statement, every table named with <c>customer_id = @customer_id</c>: on
/// Citus the statement is routed whole to the worker holding that customer's shards, and runs there as on one server.
/// </para>
/// </summary>
public static class FoldStatement
{
    /// <summary>The statement over <see cref="ReadingRollups.All"/>. Parameters: <c>@customer_id</c>, <c>@max_rows</c>.</summary>
    public static readonly string Pass = For(ReadingRollups.All);

    /// <summary>
    /// The statement for <paramref name="grains"/>, finest first. Its one row: pending rows taken, finest buckets
    /// recomputed, the oldest taken row's batch start, and the folded series with their spans (three arrays).
    /// </summary>
    public static string For(IReadOnlyList<RollupGrain> grains)
    {
        var finest = grains[0];
        var blocks = new List<string> { Taken, FinestSpans(finest), FinestFigures(finest), Replaced(finest), Write(finest) };
        for (var i = 1; i < grains.Count; i++)
        {
            blocks.Add(CoarserSpans(grains[i], grains[i - 1]));
            blocks.Add(CoarserFigures(grains[i], grains[i - 1]));
            blocks.Add(Write(grains[i]));
        }

        blocks.Add(Counted(finest));
        blocks.Add(Ingested);
        return $"""
            WITH {string.Join(",\n", blocks)}
            SELECT (SELECT count(*) FROM taken)::int AS {Result.TakenRows}, (SELECT count(*) FROM {finest.Name})::int AS {Result.Buckets},
                   (SELECT min(ingested_at) FROM taken) AS {Result.OldestIngestedAt}, (SELECT array_agg(series_id) FROM folded) AS {Result.SeriesIds},
                   (SELECT array_agg(first_at) FROM folded) AS {Result.FirstAt}, (SELECT array_agg(last_at) FROM folded) AS {Result.LastAt}
            """;
    }

    /// <summary>The columns of the statement's one row, read by name.</summary>
    public static class Result
    {
        public const string TakenRows = "taken_rows";
        public const string Buckets = "buckets";
        public const string OldestIngestedAt = "oldest_ingested_at";
        public const string SeriesIds = "series_ids";
        public const string FirstAt = "first_at";
        public const string LastAt = "last_at";
    }

    // The pending rows taken (oldest first, up to @max_rows), one row per series of each.
    private const string Taken = $"""
        taken AS (
            DELETE FROM {PendingRollups.Table} WHERE customer_id = @customer_id
                AND id IN (SELECT id FROM {PendingRollups.Table} WHERE customer_id = @customer_id ORDER BY id LIMIT @max_rows)
            RETURNING customer_id, series_ids, first_at, last_at, reading_counts, ingested_at
        ), taken_series AS (
            SELECT t.customer_id, d.series_id, d.first_at, d.last_at, d.n, t.ingested_at
            FROM taken t CROSS JOIN LATERAL unnest(t.series_ids, t.first_at, t.last_at, t.reading_counts) AS d(series_id, first_at, last_at, n)
        )
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
            SELECT s.customer_id, s.series_id, b.bucket_start, b.n, b.total, b.low, b.high, b.first_at, b.last_at, b.last_reading
            FROM spans_{grain.Name} s CROSS JOIN LATERAL unnest(s.spans) AS span
            CROSS JOIN LATERAL (SELECT {grain.BucketOf("recorded_at")} AS bucket_start,
                                       count(*) AS n, sum(reading) AS total, min(reading) AS low, max(reading) AS high,
                                       min(recorded_at) AS first_at, max(recorded_at) AS last_at,
                                       (array_agg(reading ORDER BY recorded_at DESC))[1] AS last_reading
                                FROM readings r
                                WHERE r.customer_id = @customer_id AND r.series_id = s.series_id
                                  AND r.recorded_at >= lower(span) AND r.recorded_at < upper(span)
                                GROUP BY 1) AS b
        )
        """;

    // What the finest buckets being replaced held, per series: what the series' count loses before it gains the new figures.
    private static string Replaced(RollupGrain grain) => $"""
        replaced AS MATERIALIZED (
            SELECT s.customer_id, s.series_id, sum(o.n) AS n
            FROM spans_{grain.Name} s CROSS JOIN LATERAL unnest(s.spans) AS span
            CROSS JOIN LATERAL (SELECT sum(f.reading_count) AS n FROM {grain.Table} f
                                WHERE f.customer_id = @customer_id AND f.series_id = s.series_id
                                  AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)) AS o
            GROUP BY 1, 2
        )
        """;

    private static string Write(RollupGrain grain) => $"""
        write_{grain.Name} AS (
            INSERT INTO {grain.Table} AS r (customer_id, series_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
            SELECT customer_id, series_id, bucket_start, n, total, low, high FROM {grain.Name}
            ON CONFLICT (customer_id, series_id, bucket_start) DO UPDATE SET
                reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
                reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max
        )
        """;

    // Per series, the buckets of this grain around the finer grain's recomputed spans (and those spans, to tell which
    // finer buckets are new).
    private static string CoarserSpans(RollupGrain grain, RollupGrain finer) => $"""
        spans_{grain.Name} AS (
            SELECT s.customer_id, s.series_id, s.spans AS finer_spans,
                   (SELECT range_agg(tstzrange({grain.BucketOf("lower(span)")},
                                               {grain.BucketOf("upper(span) - INTERVAL '1 microsecond'")} + {grain.Interval}))
                    FROM unnest(s.spans) AS span) AS spans
            FROM spans_{finer.Name} s
        )
        """;

    // This grain's buckets: the finer grain's new figures plus its stored buckets the pass did not recompute.
    // OFFSET 0 keeps the stored buckets a subquery per span, so the span's bounds are the index range: pulled up into a
    // join, PostgreSQL chose (by its estimates) to read every stored bucket of the series and filter by the span after,
    // so a pass over a series cost as much as the series' history (168 hourly rows for one day's buckets after a week,
    // 8 760 after a year: EXPLAIN ANALYZE, bench/results/2026-12-07-telemetry-keys.md, "Third pass").
    private static string CoarserFigures(RollupGrain grain, RollupGrain finer) => $"""
        {grain.Name} AS (
            SELECT customer_id, series_id, {grain.BucketOf("bucket_start")} AS bucket_start,
                   sum(n)::bigint AS n, sum(total) AS total, min(low) AS low, max(high) AS high
            FROM (SELECT customer_id, series_id, bucket_start, n, total, low, high FROM {finer.Name}
                  UNION ALL
                  SELECT s.customer_id, s.series_id, f.bucket_start, f.reading_count, f.reading_sum, f.reading_min, f.reading_max
                  FROM spans_{grain.Name} s CROSS JOIN LATERAL unnest(s.spans) AS span
                  CROSS JOIN LATERAL (SELECT * FROM {finer.Table} f
                                      WHERE f.customer_id = @customer_id AND f.series_id = s.series_id
                                        AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)
                                        AND NOT s.finer_spans @> f.bucket_start
                                      OFFSET 0) AS f) AS parts
            GROUP BY 1, 2, 3
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
            WHERE d.customer_id = @customer_id AND d.id = c.series_id AND c.customer_id = @customer_id
        )
        """;

    // The per-minute ingest counts (by the time ingest stored each batch) and the folded series with their spans.
    private const string Ingested = $"""
        ingested AS (
            INSERT INTO ingested_per_minute AS m (customer_id, series_id, minute, reading_count)
            SELECT customer_id, series_id, date_bin(INTERVAL '1 minute', ingested_at, {ReadingRollups.Epoch}), sum(n)::bigint
            FROM taken_series GROUP BY 1, 2, 3
            ON CONFLICT (customer_id, series_id, minute) DO UPDATE SET reading_count = m.reading_count + EXCLUDED.reading_count
        ), folded AS (
            SELECT series_id, min(first_at) AS first_at, max(last_at) AS last_at FROM taken_series GROUP BY series_id
        )
        """;
}
