SELECT d.customer_id, d.id
FROM devices d
WHERE d.id = ANY(@device_ids) AND (@customer_id::uuid IS NULL OR d.customer_id = @customer_id)
  AND EXISTS (SELECT 1 FROM readings r WHERE r.customer_id = d.customer_id AND r.device_id = d.id AND r.recorded_at < @from)
