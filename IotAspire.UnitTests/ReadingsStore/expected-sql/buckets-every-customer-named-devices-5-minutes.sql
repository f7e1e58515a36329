WITH in_range AS (
    SELECT customer_id, series_id
    FROM readings_daily
    WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
      AND series_id = ANY(@series_ids)
    UNION
    SELECT customer_id, series_id
    FROM rollup_pending_spans
    WHERE span && tstzrange(@from, @to)
      AND series_id = ANY(@series_ids)
)
SELECT in_range.customer_id, in_range.series_id, retention.readings_deleted_before, retention.rollups_deleted_before, parts.*
FROM in_range
LEFT JOIN customer_retention AS retention ON retention.customer_id = in_range.customer_id
CROSS JOIN LATERAL (SELECT bucket_start, reading_sum, reading_count::float8, reading_min, reading_max, NULL::float8, NULL::float8, NULL::float8, NULL::float8[]
FROM readings_five_minute
WHERE customer_id = in_range.customer_id AND series_id = in_range.series_id AND bucket_start >= @from_0 AND bucket_start < @to_0
                    OFFSET 0) AS parts (bucket_start, total, n, low, high, stddev, first, last, percentiles)
LIMIT @max_rows
