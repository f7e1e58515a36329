SELECT /* every customer */ customer_id FROM rollup_pending_spans
WHERE span && tstzrange(@from, @to)
  AND series_id = ANY(@series_ids)
UNION
SELECT /* every customer */ customer_id FROM readings_daily
WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
  AND series_id = ANY(@series_ids)
ORDER BY 1
