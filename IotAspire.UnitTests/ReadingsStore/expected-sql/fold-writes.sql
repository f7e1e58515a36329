WITH spans_five_minute AS (
    SELECT d.customer_id, d.series_id, range_agg(tstzrange(d.span_start, d.span_end)) AS spans
    FROM unnest(@span_customer_ids, @span_series_ids, @span_starts, @span_ends)
        AS d(customer_id, series_id, span_start, span_end)
    GROUP BY 1, 2
),
five_minute AS (
    SELECT b.customer_id, s.series_id, b.bucket_start, b.n, b.total, b.low, b.high, b.first_at, b.last_at, b.last_reading
    FROM spans_five_minute s CROSS JOIN LATERAL unnest(s.spans) AS span
    CROSS JOIN LATERAL (SELECT r.customer_id, date_bin(INTERVAL '5 minutes', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start,
                               count(*) AS n, sum(reading) AS total, min(reading) AS low, max(reading) AS high,
                               min(recorded_at) AS first_at, max(recorded_at) AS last_at,
                               (array_agg(reading ORDER BY recorded_at DESC))[1] AS last_reading
                        FROM readings r
                        WHERE r.customer_id = ANY(@group_customers) AND r.customer_id = s.customer_id AND r.series_id = s.series_id
                          AND r.recorded_at >= lower(span) AND r.recorded_at < upper(span)
                        GROUP BY 1, 2) AS b
),
replaced AS MATERIALIZED (
    SELECT s.customer_id, s.series_id, sum(o.n) AS n
    FROM spans_five_minute s CROSS JOIN LATERAL unnest(s.spans) AS span
    CROSS JOIN LATERAL (SELECT sum(f.reading_count) AS n FROM readings_five_minute f
                        WHERE f.customer_id = ANY(@group_customers) AND f.customer_id = s.customer_id AND f.series_id = s.series_id
                          AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)) AS o
    GROUP BY 1, 2
),
counted AS (
    UPDATE series d SET reading_count = d.reading_count + c.added,
                         first_reading_at = LEAST(d.first_reading_at, c.first_at),
                         last_reading_at = GREATEST(d.last_reading_at, c.last_at),
                         last_reading = CASE WHEN c.last_at >= d.last_reading_at OR d.last_reading_at IS NULL THEN c.last_reading
                                             ELSE d.last_reading END
    FROM (SELECT customer_id, series_id, sum(n)::bigint AS added, min(first_at) AS first_at, max(last_at) AS last_at,
                 (array_agg(last_reading ORDER BY last_at DESC) FILTER (WHERE last_at IS NOT NULL))[1] AS last_reading
          FROM (SELECT customer_id, series_id, n, first_at, last_at, last_reading FROM five_minute
                UNION ALL
                SELECT customer_id, series_id, -coalesce(n, 0), NULL, NULL, NULL FROM replaced) AS moved
          GROUP BY 1, 2) AS c
    WHERE d.customer_id = ANY(@group_customers) AND d.customer_id = c.customer_id AND d.id = c.series_id
)
INSERT INTO readings_five_minute AS r (customer_id, series_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
SELECT customer_id, series_id, bucket_start, n, total, low, high FROM five_minute
ON CONFLICT (customer_id, series_id, bucket_start) DO UPDATE SET
    reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
    reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max;

WITH spans_five_minute AS (
    SELECT d.customer_id, d.series_id, range_agg(tstzrange(d.span_start, d.span_end)) AS spans
    FROM unnest(@span_customer_ids, @span_series_ids, @span_starts, @span_ends)
        AS d(customer_id, series_id, span_start, span_end)
    GROUP BY 1, 2
),
spans_hourly AS (
    SELECT s.customer_id, s.series_id,
           (SELECT range_agg(tstzrange(date_bin(INTERVAL '1 hour', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                       date_bin(INTERVAL '1 hour', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '1 hour'))
            FROM unnest(s.spans) AS span) AS spans
    FROM spans_five_minute s
)
INSERT INTO readings_hourly AS r (customer_id, series_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
SELECT f.customer_id, f.series_id, date_bin(INTERVAL '1 hour', f.bucket_start, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
       sum(f.reading_count)::bigint, sum(f.reading_sum), min(f.reading_min), max(f.reading_max)
FROM spans_hourly s CROSS JOIN LATERAL unnest(s.spans) AS span
CROSS JOIN LATERAL (SELECT * FROM readings_five_minute f
                    WHERE f.customer_id = ANY(@group_customers) AND f.customer_id = s.customer_id AND f.series_id = s.series_id
                      AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)
                    OFFSET 0) AS f
GROUP BY 1, 2, 3
ON CONFLICT (customer_id, series_id, bucket_start) DO UPDATE SET
    reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
    reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max;

WITH spans_five_minute AS (
    SELECT d.customer_id, d.series_id, range_agg(tstzrange(d.span_start, d.span_end)) AS spans
    FROM unnest(@span_customer_ids, @span_series_ids, @span_starts, @span_ends)
        AS d(customer_id, series_id, span_start, span_end)
    GROUP BY 1, 2
),
spans_hourly AS (
    SELECT s.customer_id, s.series_id,
           (SELECT range_agg(tstzrange(date_bin(INTERVAL '1 hour', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                       date_bin(INTERVAL '1 hour', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '1 hour'))
            FROM unnest(s.spans) AS span) AS spans
    FROM spans_five_minute s
),
spans_daily AS (
    SELECT s.customer_id, s.series_id,
           (SELECT range_agg(tstzrange(date_bin(INTERVAL '1 day', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                       date_bin(INTERVAL '1 day', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '1 day'))
            FROM unnest(s.spans) AS span) AS spans
    FROM spans_hourly s
)
INSERT INTO readings_daily AS r (customer_id, series_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
SELECT f.customer_id, f.series_id, date_bin(INTERVAL '1 day', f.bucket_start, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
       sum(f.reading_count)::bigint, sum(f.reading_sum), min(f.reading_min), max(f.reading_max)
FROM spans_daily s CROSS JOIN LATERAL unnest(s.spans) AS span
CROSS JOIN LATERAL (SELECT * FROM readings_hourly f
                    WHERE f.customer_id = ANY(@group_customers) AND f.customer_id = s.customer_id AND f.series_id = s.series_id
                      AND f.bucket_start >= lower(span) AND f.bucket_start < upper(span)
                    OFFSET 0) AS f
GROUP BY 1, 2, 3
ON CONFLICT (customer_id, series_id, bucket_start) DO UPDATE SET
    reading_count = EXCLUDED.reading_count, reading_sum = EXCLUDED.reading_sum,
    reading_min = EXCLUDED.reading_min, reading_max = EXCLUDED.reading_max;

INSERT INTO ingested_per_minute AS m (customer_id, series_id, minute, reading_count)
SELECT * FROM unnest(@minute_customer_ids, @minute_series_ids, @minutes, @minute_counts)
ON CONFLICT (customer_id, series_id, minute) DO UPDATE SET reading_count = m.reading_count + EXCLUDED.reading_count
