namespace IotAspire.Api.Data;

/// <summary>
/// The tables the alert evaluator works from, named once: the materializer, which folds committed readings into the
/// rollups, also notes in <see cref="Table"/> the devices with rules whose readings it folded (one row per device and
/// pass), so that evaluation costs ingest nothing and sees only committed readings, late ones included.
/// </summary>
public static class PendingAlerts
{
    public const string Table = "alert_pending";
    public const string RulesTable = "alert_rules";
    public const string EventsTable = "alert_events";

    /// <summary>Held exclusively by the evaluator for a pass ("IoT Aspire alerts"): one pass across replicas.</summary>
    public const long EvaluatorLockKey = 0x1_07A5_A1E7;

    /// <summary>
    /// The materializer's part, a CTE of its pass: every device of <c>taken_devices</c> (customer, device, first_at,
    /// last_at) that a threshold or rate rule watches, with the span the pass folded. Rules on no data need no readings.
    /// </summary>
    public const string NoteFoldedSql = $"""
        INSERT INTO {Table} (customer_id, device_id, first_at, last_at)
        SELECT td.customer_id, td.device_id, min(td.first_at), max(td.last_at)
        FROM taken_devices td
        WHERE EXISTS (SELECT FROM {RulesTable} r WHERE r.customer_id = @customer_id AND r.device_id = td.device_id AND r.kind <> 'NO_DATA' AND NOT r.muted)
        GROUP BY td.customer_id, td.device_id
        """;
}
