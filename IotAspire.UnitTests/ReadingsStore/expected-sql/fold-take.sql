WITH taken AS (
    DELETE FROM rollup_pending WHERE customer_id = ANY(@group_customers)
        AND id IN (SELECT id FROM rollup_pending WHERE customer_id = ANY(@group_customers) ORDER BY id LIMIT @max_rows)
    RETURNING customer_id, series_ids, first_at, last_at, reading_counts, ingested_at
), taken_series AS (
    SELECT t.customer_id, d.series_id, d.first_at, d.last_at, d.n, t.ingested_at
    FROM taken t CROSS JOIN LATERAL unnest(t.series_ids, t.first_at, t.last_at, t.reading_counts) AS d(series_id, first_at, last_at, n)
), spans_five_minute AS (
    SELECT customer_id, series_id,
           range_agg(tstzrange(date_bin(INTERVAL '5 minutes', first_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), date_bin(INTERVAL '5 minutes', last_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '5 minutes')) AS spans
    FROM taken_series GROUP BY 1, 2
), taken_spans AS (
    SELECT s.customer_id, s.series_id, lower(span) AS span_start, upper(span) AS span_end
    FROM spans_five_minute s CROSS JOIN LATERAL unnest(s.spans) AS span
), minutes AS (
    SELECT customer_id, series_id, date_bin(INTERVAL '1 minute', ingested_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS minute, sum(n)::bigint AS n
    FROM taken_series GROUP BY 1, 2, 3
), folded AS (
    SELECT customer_id, series_id, min(first_at) AS first_at, max(last_at) AS last_at FROM taken_series GROUP BY 1, 2
)
SELECT (SELECT count(*) FROM taken)::int AS taken_rows, (SELECT min(ingested_at) FROM taken) AS oldest_ingested_at,
       (SELECT array_agg(customer_id) FROM taken_spans) AS span_customer_ids, (SELECT array_agg(series_id) FROM taken_spans) AS span_series_ids,
       (SELECT array_agg(span_start) FROM taken_spans) AS span_starts, (SELECT array_agg(span_end) FROM taken_spans) AS span_ends,
       (SELECT array_agg(customer_id) FROM minutes) AS minute_customer_ids, (SELECT array_agg(series_id) FROM minutes) AS minute_series_ids,
       (SELECT array_agg(minute) FROM minutes) AS minutes, (SELECT array_agg(n) FROM minutes) AS minute_counts,
       (SELECT array_agg(customer_id) FROM folded) AS folded_customer_ids,
       (SELECT array_agg(series_id) FROM folded) AS folded_series_ids, (SELECT array_agg(first_at) FROM folded) AS folded_first_at,
       (SELECT array_agg(last_at) FROM folded) AS folded_last_at
