SELECT /* every customer */ count(*) FROM (
    SELECT DISTINCT customer_id, device_id FROM readings_daily
    WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
      AND device_id = ANY(@device_ids)
    LIMIT @enough) AS devices
