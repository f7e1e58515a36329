SELECT s.customer_id, s.id
FROM series s
WHERE s.id = ANY(@series_ids) AND (@customer_id::uuid IS NULL OR s.customer_id = @customer_id)
  AND EXISTS (SELECT 1 FROM readings r WHERE r.customer_id = s.customer_id AND r.series_id = s.id AND r.recorded_at < @from)
