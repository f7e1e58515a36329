SELECT b.customer_id, b.series_id, sum(raw.n - rolled.n)::bigint AS added, min(raw.first_at) AS first_at, max(raw.last_at) AS last_at
FROM (SELECT customer_id, series_id,
             unnest(range_agg(tstzrange(date_bin(INTERVAL '5 minutes', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                        date_bin(INTERVAL '5 minutes', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '5 minutes'))) AS span
      FROM rollup_pending_spans WHERE customer_id = @customer_id
      GROUP BY 1, 2) AS b
CROSS JOIN LATERAL (SELECT count(*) AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at FROM readings r
                    WHERE r.customer_id = @customer_id AND r.series_id = b.series_id
                      AND r.recorded_at >= lower(b.span) AND r.recorded_at < upper(b.span)) AS raw
CROSS JOIN LATERAL (SELECT coalesce(sum(reading_count), 0) AS n FROM readings_five_minute f
                    WHERE f.customer_id = @customer_id AND f.series_id = b.series_id
                      AND f.bucket_start >= lower(b.span) AND f.bucket_start < upper(b.span)) AS rolled
GROUP BY 1, 2
