WITH written AS (
    INSERT INTO readings (customer_id, series_id, recorded_at, reading)
    SELECT * FROM unnest(@customer_ids, @series_ids, @recorded_at, @readings)

    RETURNING customer_id, series_id, recorded_at, true AS inserted
), per_series AS (
    SELECT customer_id, series_id, count(*)::int AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at
    FROM written GROUP BY 1, 2
), pending AS (
    INSERT INTO rollup_pending (customer_id, series_ids, first_at, last_at, reading_counts)
    VALUES (@pending_customer_0, @pending_series_0, @pending_first_0, @pending_last_0, @pending_counts_0), (@pending_customer_1, @pending_series_1, @pending_first_1, @pending_last_1, @pending_counts_1)
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
