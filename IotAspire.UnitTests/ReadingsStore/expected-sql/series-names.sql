SELECT s.id, s.device_id, s.key
FROM unnest(@series_ids) AS answered(id)
JOIN series s ON s.customer_id = @customer_id AND s.id = answered.id
