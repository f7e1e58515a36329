WITH gone AS (
    DELETE FROM readings WHERE customer_id = @customer AND series_id = @series
        AND recorded_at < coalesce((SELECT recorded_at FROM readings WHERE customer_id = @customer AND series_id = @series AND recorded_at < @cutoff
                                    ORDER BY recorded_at OFFSET @batch LIMIT 1), @cutoff)
    RETURNING 1
), counted AS (
    UPDATE series s SET reading_count = s.reading_count - (SELECT count(*) FROM gone)
    WHERE s.id = @series AND s.customer_id = @customer
    RETURNING 1
)
SELECT count(*) FROM gone
