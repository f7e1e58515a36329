WITH pending AS (
    SELECT d.series_id, max(d.last_at) AS last_at
    FROM rollup_pending p CROSS JOIN LATERAL unnest(p.series_ids, p.last_at) AS d(series_id, last_at)
    WHERE p.customer_id = @customer_id
    GROUP BY 1
)
SELECT s.device_id, s.key, coalesce(unfolded.recorded_at, s.last_reading_at), coalesce(unfolded.reading, s.last_reading)
FROM series s
JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id AND d.tags @> @tags
LEFT JOIN pending ON pending.series_id = s.id
LEFT JOIN LATERAL (SELECT recorded_at, reading FROM readings r
                   WHERE (s.last_reading IS NULL OR pending.last_at >= s.last_reading_at)
                     AND r.customer_id = @customer_id AND r.series_id = s.id
                   ORDER BY recorded_at DESC LIMIT 1) unfolded ON true
WHERE (unfolded.recorded_at IS NOT NULL OR s.last_reading IS NOT NULL)
  AND s.customer_id = @customer_id
  AND s.key = ANY(@keys)
ORDER BY s.device_id, s.key
LIMIT @max_series + 1
