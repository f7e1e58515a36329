UPDATE devices SET first_reading_at = (SELECT min(recorded_at) FROM readings WHERE customer_id = @customer AND device_id = @device),
                   last_reading_at = CASE WHEN reading_count = 0 THEN NULL ELSE last_reading_at END
WHERE id = @device AND customer_id = @customer
