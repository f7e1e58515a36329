WITH per_series AS (
    SELECT * FROM unnest(@notify_customers, @notify_batch_series, @notify_first, @notify_last) AS d(customer_id, series_id, first_at, last_at)
), notified AS (
    SELECT pg_notify('readings_ingested', concat_ws(' ', batch.customer_id, named.device_id,
               (extract(epoch FROM batch.first_at) * 1000000)::bigint, (extract(epoch FROM batch.last_at) * 1000000)::bigint,
               (extract(epoch FROM now()) * 1000000)::bigint, named.key))::text AS sent
    FROM per_series AS batch
    JOIN unnest(@notify_series::uuid[], @notify_devices::uuid[], @notify_keys::text[]) AS named(series_id, device_id, key) ON named.series_id = batch.series_id
    WHERE cardinality(@listened::uuid[]) > 0
      AND (batch.customer_id = ANY(@listened) OR '00000000-0000-0000-0000-000000000000' = ANY(@listened))
)
SELECT count(*)::int FROM notified
