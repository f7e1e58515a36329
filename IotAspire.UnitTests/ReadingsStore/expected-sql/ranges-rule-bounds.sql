SELECT q.i, p.at, n.at, reach.at
FROM unnest(@series_ids, @first_at, @last_at, @windows) WITH ORDINALITY AS q(series_id, first_at, last_at, win, i)
CROSS JOIN LATERAL (SELECT max(recorded_at) AS at FROM readings
                    WHERE customer_id = @customer_id AND series_id = q.series_id AND recorded_at < q.first_at) p
CROSS JOIN LATERAL (SELECT min(recorded_at) AS at FROM readings
                    WHERE customer_id = @customer_id AND series_id = q.series_id AND recorded_at > q.last_at) n
CROSS JOIN LATERAL (SELECT max(recorded_at) AS at FROM readings
                    WHERE customer_id = @customer_id AND series_id = q.series_id AND recorded_at <= p.at - q.win) reach
