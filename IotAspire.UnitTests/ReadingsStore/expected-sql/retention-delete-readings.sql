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
