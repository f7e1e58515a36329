WITH taken AS (
    DELETE FROM rollup_pending WHERE customer_id = ANY(@group_customers)
        AND id IN (SELECT id FROM rollup_pending WHERE customer_id = ANY(@group_customers) ORDER BY id LIMIT @max_rows)
    RETURNING customer_id, series_ids, first_at, last_at, reading_counts, ingested_at
), taken_series AS (
    SELECT t.customer_id, d.series_id, d.first_at, d.last_at, d.n, t.ingested_at
    FROM taken t CROSS JOIN LATERAL unnest(t.series_ids, t.first_at, t.last_at, t.reading_counts) AS d(series_id, first_at, last_at, n)
), folded AS (
    SELECT customer_id, series_id, min(first_at) AS first_at, max(last_at) AS last_at FROM taken_series GROUP BY 1, 2
)
SELECT (SELECT count(*) FROM taken)::int AS taken_rows, (SELECT min(ingested_at) FROM taken) AS oldest_ingested_at,
       (SELECT array_agg(customer_id) FROM taken_series) AS customer_ids,
       (SELECT array_agg(series_id) FROM taken_series) AS series_ids, (SELECT array_agg(first_at) FROM taken_series) AS first_at,
       (SELECT array_agg(last_at) FROM taken_series) AS last_at, (SELECT array_agg(n) FROM taken_series) AS reading_counts,
       (SELECT array_agg(ingested_at) FROM taken_series) AS ingested_at,
       (SELECT array_agg(customer_id) FROM folded) AS folded_customer_ids,
       (SELECT array_agg(series_id) FROM folded) AS folded_series_ids, (SELECT array_agg(first_at) FROM folded) AS folded_first_at,
       (SELECT array_agg(last_at) FROM folded) AS folded_last_at
