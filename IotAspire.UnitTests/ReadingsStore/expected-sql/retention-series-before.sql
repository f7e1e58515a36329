SELECT DISTINCT series_id FROM readings_daily WHERE customer_id = @customer AND bucket_start < @cutoff
