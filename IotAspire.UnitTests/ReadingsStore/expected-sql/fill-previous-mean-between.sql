SELECT avg(reading) FROM readings
WHERE customer_id = @customer_id AND device_id = @device_id AND recorded_at >= @start AND recorded_at < @end
