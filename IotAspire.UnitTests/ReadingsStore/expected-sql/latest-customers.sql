SELECT /* every customer */ DISTINCT s.customer_id
FROM series s

WHERE true
  AND s.device_id = ANY(@device_ids)
ORDER BY 1
