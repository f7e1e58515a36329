WITH gone AS (
    DELETE FROM readings_daily WHERE customer_id = @customer AND series_id = @series
        AND bucket_start < coalesce((SELECT bucket_start FROM readings_daily WHERE customer_id = @customer AND series_id = @series AND bucket_start < @cutoff
                                     ORDER BY bucket_start OFFSET @batch LIMIT 1), @cutoff)
    RETURNING 1
)
SELECT count(*) FROM gone
