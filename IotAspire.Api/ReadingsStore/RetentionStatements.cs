namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Retention's statements over the readings store: a customer's readings and rollups deleted before a cut-off, device
/// by device and in batches (Retention/RetentionRunner.cs runs them, one transaction per batch), the devices' counts
/// and spans kept exact. Their full text is in the unit tests' expected SQL.
/// </summary>
public static class RetentionStatements
{
    // Every reading has its daily bucket, and the rollups outlive the readings: the devices to visit.
    public const string DevicesBefore = "SELECT DISTINCT device_id FROM readings_daily WHERE customer_id = @customer AND bucket_start < @cutoff";

    // The device's row first, as the materializer's count update takes it: the count stays exact.
    public const string LockDevice = "SELECT FROM devices WHERE customer_id = @customer AND id = @device FOR NO KEY UPDATE";

    // The oldest @batch rows of the device, by key range rather than by ctid (Citus plans no ctid subquery), so that
    // one statement stays an index range scan on one shard.
    public const string DeleteReadings = """
        WITH gone AS (
            DELETE FROM readings WHERE customer_id = @customer AND device_id = @device
                AND recorded_at < coalesce((SELECT recorded_at FROM readings WHERE customer_id = @customer AND device_id = @device AND recorded_at < @cutoff
                                            ORDER BY recorded_at OFFSET @batch LIMIT 1), @cutoff)
            RETURNING 1
        ), counted AS (
            UPDATE devices SET reading_count = devices.reading_count - (SELECT count(*) FROM gone)
            WHERE devices.id = @device AND devices.customer_id = @customer
            RETURNING 1
        )
        SELECT count(*) FROM gone
        """;

    // A later statement, so that it sees the rows deleted above.
    public const string RecomputeSpan = """
        UPDATE devices SET first_reading_at = (SELECT min(recorded_at) FROM readings WHERE customer_id = @customer AND device_id = @device),
                           last_reading_at = CASE WHEN reading_count = 0 THEN NULL ELSE last_reading_at END
        WHERE id = @device AND customer_id = @customer
        """;

    // Ingest never writes a bucket this old (it refuses the readings), so no lock is needed.
    public static string DeleteRollup(RollupGrain grain) => $"""
        WITH gone AS (
            DELETE FROM {grain.Table} WHERE customer_id = @customer AND device_id = @device
                AND bucket_start < coalesce((SELECT bucket_start FROM {grain.Table} WHERE customer_id = @customer AND device_id = @device AND bucket_start < @cutoff
                                             ORDER BY bucket_start OFFSET @batch LIMIT 1), @cutoff)
            RETURNING 1
        )
        SELECT count(*) FROM gone
        """;
}
