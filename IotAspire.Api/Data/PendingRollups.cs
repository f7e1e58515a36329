namespace IotAspire.Api.Data;

/// <summary>
/// What the rollups do not hold yet. Ingest writes, in its own transaction, one <see cref="Table"/> row per batch
/// and customer: per device, the span of the readings it stored or changed and how many (the cheapest record of
/// what a batch touched). The materializer (Materialization/RollupMaterializer.cs) recomputes the buckets under
/// those spans from the readings and deletes the rows in one transaction. So at every moment a rollup bucket
/// that no pending span touches is exact, and reads take the readings for the rest (docs/rollups.md).
/// </summary>
public static class PendingRollups
{
    public const string Table = "rollup_pending";

    /// <summary>
    /// A view of the pending spans, merged per device: <c>customer_id</c>, <c>device_id</c>, <c>span</c> (a
    /// half-open <c>tstzrange</c>). Grafana's panels read the readings for the rollup buckets it touches.
    /// </summary>
    public const string SpansView = "rollup_pending_spans";

    /// <summary>The view's definition (the migration creates it).</summary>
    public const string SpansViewSql = $"""
        CREATE VIEW {SpansView} AS
        SELECT p.customer_id, d.device_id, unnest(range_agg(tstzrange(d.first_at, d.last_at + INTERVAL '1 microsecond'))) AS span
        FROM {Table} p CROSS JOIN LATERAL unnest(p.device_ids, p.first_at, p.last_at) AS d(device_id, first_at, last_at)
        GROUP BY p.customer_id, d.device_id
        """;

    /// <summary>
    /// The pending spans over a request's devices, merged across them, as half-open (<c>from</c>, <c>to</c>) rows in
    /// time order. Filters ({0}) name <c>customer_id</c> and <c>device_id</c>, as the aggregate reader's do.
    /// </summary>
    public const string MergedSpansQuery = $$"""
        SELECT lower(span), upper(span)
        FROM (SELECT unnest(range_agg(tstzrange(d.first_at, d.last_at + INTERVAL '1 microsecond'))) AS span
              FROM {{Table}} p CROSS JOIN LATERAL unnest(p.device_ids, p.first_at, p.last_at) AS d(device_id, first_at, last_at)
              WHERE d.last_at >= @from AND d.first_at < @to
                {0}) AS merged
        ORDER BY 1
        """;
}
