SELECT /* every customer */ s.customer_id, s.id, s.device_id, s.key
FROM series s

WHERE true
  AND s.device_id = ANY(@device_ids)
ORDER BY s.customer_id, s.device_id, s.key
LIMIT @max_series + 1
