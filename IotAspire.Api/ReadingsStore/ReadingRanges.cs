namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Reads of a series' readings by key range for the features that follow them as they arrive: the live updates (a
/// committed batch's rows) and the alert evaluator (the readings a rule's states depend on, and the last reading for
/// rules on no data). Each names its customer, so that on Citus it is routed to that customer's worker. Their full text
/// is in the unit tests' expected SQL.
/// </summary>
public static class ReadingRanges
{
    // The batch's rows, found by the series' key range and told apart from other transactions' rows by
    // ingested_at (the committing transaction's start, to the microsecond). Scoped by customer in the SQL.
    public const string BatchReadingsSql = """
        SELECT recorded_at, reading FROM readings
        WHERE customer_id = @customer AND series_id = @series AND recorded_at BETWEEN @first AND @last AND ingested_at = @ingested
        ORDER BY recorded_at
        """;

    // The readings each rule's states from its series' @first on depend on (AlertTimeline), for all of a customer's
    // rules to evaluate in two statements (a statement per rule made the evaluator 3 000 round trips a pass with 1 000
    // rules; ingest beside it slowed by a fifth on this machine), each rule's bounds one index probe of the (customer,
    // series, time) key: p0, the last reading before @first; n1, the first after @last; reach, the last at or before
    // p0 - window (what p0's own state needs for ABOVE/BELOW). No CTE: Citus plans no correlated subquery beside one.

    /// <summary>Per rule (ordinal i of the arrays): p0, n1 and reach.</summary>
    public const string RuleBoundsSql = """
        SELECT q.i, p.at, n.at, reach.at
        FROM unnest(@series_ids, @first_at, @last_at, @windows) WITH ORDINALITY AS q(series_id, first_at, last_at, win, i)
        CROSS JOIN LATERAL (SELECT max(recorded_at) AS at FROM readings
                            WHERE customer_id = @customer_id AND series_id = q.series_id AND recorded_at < q.first_at) p
        CROSS JOIN LATERAL (SELECT min(recorded_at) AS at FROM readings
                            WHERE customer_id = @customer_id AND series_id = q.series_id AND recorded_at > q.last_at) n
        CROSS JOIN LATERAL (SELECT max(recorded_at) AS at FROM readings
                            WHERE customer_id = @customer_id AND series_id = q.series_id AND recorded_at <= p.at - q.win) reach
        """;

    /// <summary>Per rule (ordinal i), its readings in [lower, upper], oldest first, at most @max_readings each.</summary>
    public const string RuleReadingsSql = """
        SELECT q.i, r.recorded_at, r.reading
        FROM unnest(@series_ids, @lower, @upper) WITH ORDINALITY AS q(series_id, lower, upper, i)
        CROSS JOIN LATERAL (SELECT recorded_at, reading FROM readings
                            WHERE customer_id = @customer_id AND series_id = q.series_id AND recorded_at >= q.lower AND recorded_at <= q.upper
                            ORDER BY recorded_at LIMIT @max_readings) r
        ORDER BY q.i, r.recorded_at
        """;

    /// <summary>A customer's NO_DATA rules, each with its series' last reading and its own current state.</summary>
    public const string NoDataRulesSql = $"""
        SELECT r.id, r.device_id, r.name, r.minutes, r.created_at, last.recorded_at, last.reading, s.state, s.at, s.reading_at
        FROM {PendingAlerts.RulesTable} r
        LEFT JOIN LATERAL (SELECT recorded_at, reading FROM readings x WHERE x.customer_id = @customer_id AND x.series_id = r.series_id
                           ORDER BY recorded_at DESC LIMIT 1) last ON true
        LEFT JOIN LATERAL (SELECT state, at, reading_at FROM {PendingAlerts.EventsTable} e WHERE e.customer_id = @customer_id AND e.rule_id = r.id
                           ORDER BY at DESC, id DESC LIMIT 1) s ON true
        WHERE r.customer_id = @customer_id AND r.kind = 'NO_DATA' AND NOT r.muted
        """;
}
