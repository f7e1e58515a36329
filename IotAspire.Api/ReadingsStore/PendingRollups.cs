namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// What the rollups do not hold yet. Ingest writes, in its own transaction, one <see cref="Table"/> row per batch
/// and customer: per series (one key of one device), the span of the readings it stored or changed and how many (the cheapest record of
/// what a batch touched). The materializer (ReadingsStore/RollupMaterializer.cs) recomputes the buckets under
/// those spans from the readings and deletes the rows in one transaction. So at every moment a rollup bucket
/// that no pending span touches is exact, and reads take the readings for the rest (docs/rollups.md).
/// </summary>
public static class PendingRollups
{
    public const string Table = "rollup_pending";

    /// <summary>Held exclusively by the materializer for a pass ("IoT Aspire rollups"), one pass across replicas.</summary>
    public const long MaterializerLockKey = 0x1_07A5_4011;

    /// <summary>
    /// A view of the pending spans, merged per series: <c>customer_id</c>, <c>series_id</c>, <c>span</c> (a
    /// half-open <c>tstzrange</c>). Grafana's panels read the readings for the rollup buckets it touches.
    /// </summary>
    public const string SpansView = "rollup_pending_spans";

    /// <summary>
    /// A view of what each series' pending readings add to what its row and the rollups hold: <c>customer_id</c>,
    /// <c>series_id</c>, <c>added</c> (readings to add to <c>series.reading_count</c>), <c>first_at</c>, <c>last_at</c>
    /// (to widen its span with). The series row holds exactly what the five-minute rollup rows hold (the
    /// materializer adds what their recomputation gained), so the pending spans, widened to the five-minute
    /// buckets the materializer will recompute and merged, are counted from the readings in place of those
    /// buckets' rollup rows.
    /// </summary>
    public const string CountsView = "rollup_pending_counts";

    /// <summary>
    /// The view's query (the migrations hold the view's own text), for one customer when <paramref name="customer"/> (an expression) is given: then every
    /// table it reads is filtered by it, so that on Citus the query is routed to that customer's worker (the view
    /// filtered from outside prunes the pending rows, but not the readings and rollups it reaches through LATERAL).
    /// No CTE: Citus plans a CTE on its own, before any outer filter.
    /// </summary>
    public static string CountsQuery(string? customer)
    {
        var scope = customer is null ? "" : $"WHERE customer_id = {customer}";
        var owner = customer ?? "b.customer_id";
        return $$"""
            SELECT b.customer_id, b.series_id, sum(raw.n - rolled.n)::bigint AS added, min(raw.first_at) AS first_at, max(raw.last_at) AS last_at
            FROM (SELECT customer_id, series_id,
                         unnest(range_agg(tstzrange({{ReadingRollups.FiveMinute.BucketOf("lower(span)")}},
                                                    {{ReadingRollups.FiveMinute.BucketOf("upper(span) - INTERVAL '1 microsecond'")}} + {{ReadingRollups.FiveMinute.Interval}}))) AS span
                  FROM {{SpansView}} {{scope}}
                  GROUP BY 1, 2) AS b
            CROSS JOIN LATERAL (SELECT count(*) AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at FROM readings r
                                WHERE r.customer_id = {{owner}} AND r.series_id = b.series_id
                                  AND r.recorded_at >= lower(b.span) AND r.recorded_at < upper(b.span)) AS raw
            CROSS JOIN LATERAL (SELECT coalesce(sum(reading_count), 0) AS n FROM {{ReadingRollups.FiveMinuteTable}} f
                                WHERE f.customer_id = {{owner}} AND f.series_id = b.series_id
                                  AND f.bucket_start >= lower(b.span) AND f.bucket_start < upper(b.span)) AS rolled
            GROUP BY 1, 2
            """;
    }
}
