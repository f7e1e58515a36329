UPDATE series SET first_reading_at = (SELECT min(recorded_at) FROM readings WHERE customer_id = @customer AND series_id = @series),
                   last_reading_at = CASE WHEN reading_count = 0 THEN NULL ELSE last_reading_at END,
                   last_reading = CASE WHEN reading_count = 0 THEN NULL ELSE last_reading END
WHERE id = @series AND customer_id = @customer
