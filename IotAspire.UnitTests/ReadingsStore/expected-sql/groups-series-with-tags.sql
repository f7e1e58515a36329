SELECT s.customer_id, s.id, s.device_id, s.key, d.tags ->> @group_by AS grp
FROM series s
JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id AND d.tags @> @tags
WHERE true
  AND s.customer_id = @customer_id
  AND s.device_id = ANY(@device_ids)
  AND s.key = ANY(@keys)
ORDER BY s.customer_id, s.device_id, s.key
LIMIT @max_series + 1
