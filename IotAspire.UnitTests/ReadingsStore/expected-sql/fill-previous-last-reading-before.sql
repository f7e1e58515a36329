SELECT recorded_at FROM readings
WHERE customer_id = @customer_id AND device_id = @device_id AND recorded_at < @from
ORDER BY recorded_at DESC LIMIT 1
