namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Retention's statements over the readings store: a customer's readings and rollups deleted before a cut-off, series
/// by series and in batches (Retention/RetentionRunner.cs runs them, one transaction per batch), the series' counts
/// and spans kept exact. Their full text is in the unit tests' expected SQL.
/// </summary>
public static class RetentionStatements
{
    // Every reading has its daily bucket, and the rollups outlive the readings: the series to visit.
    public static readonly string SeriesBefore = $"SELECT DISTINCT series_id FROM {ReadingRollups.DailyTable} WHERE customer_id = @customer AND bucket_start < @cutoff";

    // The series' row first, as the materializer's count update takes it: the count stays exact.
    public const string LockSeries = $"SELECT FROM {Series.Table} WHERE customer_id = @customer AND id = @series FOR NO KEY UPDATE";

    // The oldest @batch rows of the series, by key range rather than by ctid (Citus plans no ctid subquery), so that
    // one statement stays an index range scan on one shard.
    public const string DeleteReadings = $"""
        WITH gone AS (
            DELETE FROM readings WHERE customer_id = @customer AND series_id = @series
                AND recorded_at < coalesce((SELECT recorded_at FROM readings WHERE customer_id = @customer AND series_id = @series AND recorded_at < @cutoff
                                            ORDER BY recorded_at OFFSET @batch LIMIT 1), @cutoff)
            RETURNING 1
        ), counted AS (
            UPDATE {Series.Table} s SET reading_count = s.reading_count - (SELECT count(*) FROM gone)
            WHERE s.id = @series AND s.customer_id = @customer
            RETURNING 1
        )
        SELECT count(*) FROM gone
        """;

    // A later statement, so that it sees the rows deleted above.
    public const string RecomputeSpan = $"""
        UPDATE {Series.Table} SET first_reading_at = (SELECT min(recorded_at) FROM readings WHERE customer_id = @customer AND series_id = @series),
                           last_reading_at = CASE WHEN reading_count = 0 THEN NULL ELSE last_reading_at END,
                           last_reading = CASE WHEN reading_count = 0 THEN NULL ELSE last_reading END
        WHERE id = @series AND customer_id = @customer
        """;

    // Ingest never writes a bucket this old (it refuses the readings), so no lock is needed.
    public static string DeleteRollup(RollupGrain grain) => $"""
        WITH gone AS (
            DELETE FROM {grain.Table} WHERE customer_id = @customer AND series_id = @series
                AND bucket_start < coalesce((SELECT bucket_start FROM {grain.Table} WHERE customer_id = @customer AND series_id = @series AND bucket_start < @cutoff
                                             ORDER BY bucket_start OFFSET @batch LIMIT 1), @cutoff)
            RETURNING 1
        )
        SELECT count(*) FROM gone
        """;
}
