SELECT recorded_at FROM readings
WHERE customer_id = @customer_id AND series_id = @series_id AND recorded_at < @from
ORDER BY recorded_at DESC LIMIT 1
