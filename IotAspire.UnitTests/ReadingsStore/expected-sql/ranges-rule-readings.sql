SELECT q.i, r.recorded_at, r.reading
FROM unnest(@series_ids, @lower, @upper) WITH ORDINALITY AS q(series_id, lower, upper, i)
CROSS JOIN LATERAL (SELECT recorded_at, reading FROM readings
                    WHERE customer_id = @customer_id AND series_id = q.series_id AND recorded_at >= q.lower AND recorded_at <= q.upper
                    ORDER BY recorded_at LIMIT @max_readings) r
ORDER BY q.i, r.recorded_at
