namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Where a customer's retention cuts, as SQL over a <c>customer_retention</c> row aliased <c>r</c>: shared by
/// ingest (which refuses readings older than what is kept) and the retention job (which deletes them).
/// Cut-offs fall on UTC midnight, so every rollup bucket lies wholly on one side of them: the buckets kept
/// after their readings are gone are exact.
/// </summary>
public static class RetentionBoundaries
{
    /// <summary>Readings recorded before this are deleted by the next run (null: kept forever).</summary>
    public const string ReadingsCutoff = "date_trunc('day', now() - make_interval(days => r.keep_readings_days), 'UTC')";

    /// <summary>Rollup buckets starting before this are deleted by the next run (null: kept forever).</summary>
    public const string RollupsCutoff = "date_trunc('day', now() - make_interval(days => r.keep_rollups_days), 'UTC')";

    /// <summary>
    /// Ingest accepts readings from this time on (null: any). Below it a reading's stored row may be gone
    /// while its rollup buckets still count it: storing it again would count it twice.
    /// </summary>
    public const string ReadingsKeptFrom = $"GREATEST(r.readings_deleted_before, {ReadingsCutoff})";
}
