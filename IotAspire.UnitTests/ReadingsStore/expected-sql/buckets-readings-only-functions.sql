WITH in_range AS (
    SELECT customer_id, series_id
    FROM readings_daily
    WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
      AND customer_id = @customer_id
    UNION
    SELECT customer_id, series_id
    FROM rollup_pending_spans
    WHERE span && tstzrange(@from, @to)
      AND customer_id = @customer_id
)
SELECT in_range.customer_id, in_range.series_id, retention.readings_deleted_before, retention.rollups_deleted_before, parts.*
FROM in_range
LEFT JOIN customer_retention AS retention ON retention.customer_id = in_range.customer_id
CROSS JOIN LATERAL (SELECT date_bin(make_interval(mins => @aggregation_size_minutes), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), NULL::float8, NULL::float8, NULL::float8, NULL::float8, stddev_samp(reading), (array_agg(reading ORDER BY recorded_at))[1], (array_agg(reading ORDER BY recorded_at DESC))[1], percentile_cont(@percentiles) WITHIN GROUP (ORDER BY reading)
FROM readings
WHERE customer_id = in_range.customer_id AND customer_id = @customer_id AND series_id = in_range.series_id AND recorded_at >= @from_0 AND recorded_at < @to_0
GROUP BY 1
                    OFFSET 0) AS parts (bucket_start, total, n, low, high, stddev, first, last, percentiles)
LIMIT @max_rows
