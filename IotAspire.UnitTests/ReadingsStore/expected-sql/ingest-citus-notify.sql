WITH per_device AS (
    SELECT * FROM unnest(@notify_customers, @notify_devices, @notify_first, @notify_last) AS d(customer_id, device_id, first_at, last_at)
), notified AS (
    SELECT pg_notify('readings_ingested', concat_ws(' ', batch.customer_id, batch.device_id,
               (extract(epoch FROM batch.first_at) * 1000000)::bigint, (extract(epoch FROM batch.last_at) * 1000000)::bigint,
               (extract(epoch FROM now()) * 1000000)::bigint))::text AS sent
    FROM per_device AS batch
    WHERE cardinality(@listened::uuid[]) > 0
      AND (batch.customer_id = ANY(@listened) OR '00000000-0000-0000-0000-000000000000' = ANY(@listened))
)
SELECT count(*)::int FROM notified
