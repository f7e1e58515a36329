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
CROSS JOIN LATERAL (SELECT (@bucket_starts)[width_bucket(bucket_start, @bucket_starts)], sum(reading_sum), sum(reading_count)::float8, min(reading_min), max(reading_max), NULL::float8, NULL::float8, NULL::float8, NULL::float8[]
FROM readings_five_minute
WHERE customer_id = in_range.customer_id AND customer_id = @customer_id AND series_id = in_range.series_id AND bucket_start >= @from_0 AND bucket_start < @to_0
GROUP BY 1
UNION ALL
SELECT (@bucket_starts)[width_bucket(bucket_start, @bucket_starts)], sum(reading_sum), sum(reading_count)::float8, min(reading_min), max(reading_max), NULL::float8, NULL::float8, NULL::float8, NULL::float8[]
FROM readings_hourly
WHERE customer_id = in_range.customer_id AND customer_id = @customer_id AND series_id = in_range.series_id AND bucket_start >= @from_1 AND bucket_start < @to_1
GROUP BY 1
UNION ALL
SELECT (@bucket_starts)[width_bucket(bucket_start, @bucket_starts)], sum(reading_sum), sum(reading_count)::float8, min(reading_min), max(reading_max), NULL::float8, NULL::float8, NULL::float8, NULL::float8[]
FROM readings_five_minute
WHERE customer_id = in_range.customer_id AND customer_id = @customer_id AND series_id = in_range.series_id AND bucket_start >= @from_2 AND bucket_start < @to_2
GROUP BY 1
                    OFFSET 0) AS parts (bucket_start, total, n, low, high, stddev, first, last, percentiles)
LIMIT @max_rows
