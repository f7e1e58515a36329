SELECT d.device_id, d.customer_id, GREATEST(r.readings_deleted_before, date_trunc('day', now() - make_interval(days => r.keep_readings_days), 'UTC'))
FROM device_claims d LEFT JOIN customer_retention r ON r.customer_id = d.customer_id
WHERE d.device_id = ANY(@device_ids) ORDER BY d.device_id
