SELECT s.device_id, s.key, last.recorded_at, last.reading
FROM series s
JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id AND d.tags @> @tags
CROSS JOIN LATERAL (SELECT recorded_at, reading FROM readings r
                    WHERE r.customer_id = @customer_id AND r.series_id = s.id
                    ORDER BY recorded_at DESC LIMIT 1) last
WHERE true
  AND s.customer_id = @customer_id
  AND s.key = ANY(@keys)
ORDER BY s.device_id, s.key
LIMIT @max_series + 1
