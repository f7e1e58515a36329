SELECT /* every customer */ count(*) FROM (
    SELECT DISTINCT customer_id, series_id FROM readings_daily
    WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
      AND series_id = ANY(@series_ids)
    LIMIT @enough) AS in_range
