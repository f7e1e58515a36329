namespace IotAspire.Api.ReadingsStore;

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
    /// The materializer's part, after each customer's fold in the same transaction: of the devices the fold took
    /// (@device_ids with the spans @first_at, @last_at, as its pass returns them), those that a threshold or rate rule
    /// watches. A statement of its own rather than a CTE of the pass: Citus plans no correlated subquery beside a CTE,
    /// and a join there was not planned either. Rules on no data need no readings.
    /// </summary>
    public const string NoteFoldedSql = $"""
        INSERT INTO {Table} (customer_id, device_id, first_at, last_at)
        SELECT @customer_id, d.device_id, d.first_at, d.last_at
        FROM unnest(@device_ids, @first_at, @last_at) AS d(device_id, first_at, last_at)
        WHERE d.device_id IN (SELECT device_id FROM {RulesTable} WHERE customer_id = @customer_id AND kind <> 'NO_DATA' AND NOT muted)
        """;
}
