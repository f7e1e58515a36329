SELECT avg(reading) FROM readings
WHERE customer_id = @customer_id AND series_id = @series_id AND recorded_at >= @start AND recorded_at < @end
