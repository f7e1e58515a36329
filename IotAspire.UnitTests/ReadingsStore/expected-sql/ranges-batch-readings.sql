SELECT recorded_at, reading FROM readings
WHERE customer_id = @customer AND series_id = @series AND recorded_at BETWEEN @first AND @last AND ingested_at = @ingested
ORDER BY recorded_at
