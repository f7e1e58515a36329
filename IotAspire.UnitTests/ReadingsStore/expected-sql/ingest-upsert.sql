WITH written AS (
    INSERT INTO readings (customer_id, series_id, recorded_at, reading)
    SELECT * FROM unnest(@customer_ids, @series_ids, @recorded_at, @readings)
    ON CONFLICT (customer_id, series_id, recorded_at)
    DO UPDATE SET reading = EXCLUDED.reading, ingested_at = EXCLUDED.ingested_at
    WHERE readings.reading IS DISTINCT FROM EXCLUDED.reading
    RETURNING customer_id, series_id, recorded_at, (xmax = 0) AS inserted
), per_series AS (
    SELECT customer_id, series_id, count(*)::int AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at
    FROM written GROUP BY 1, 2
), pending AS (
    INSERT INTO rollup_pending (customer_id, series_ids, first_at, last_at, reading_counts)
    SELECT customer_id, array_agg(series_id), array_agg(first_at), array_agg(last_at), array_agg(n)
FROM per_series GROUP BY customer_id
), notified AS (
    SELECT pg_notify('readings_ingested', concat_ws(' ', batch.customer_id, named.device_id,
               (extract(epoch FROM batch.first_at) * 1000000)::bigint, (extract(epoch FROM batch.last_at) * 1000000)::bigint,
               (extract(epoch FROM now()) * 1000000)::bigint, named.key))::text AS sent
    FROM per_series AS batch
    JOIN unnest(@notify_series::uuid[], @notify_devices::uuid[], @notify_keys::text[]) AS named(series_id, device_id, key) ON named.series_id = batch.series_id
    WHERE cardinality(@listened::uuid[]) > 0
      AND (batch.customer_id = ANY(@listened) OR '00000000-0000-0000-0000-000000000000' = ANY(@listened))
)
SELECT count(*) FILTER (WHERE inserted)::int, count(*) FILTER (WHERE NOT inserted)::int, (SELECT count(*) FROM notified)::int FROM written
