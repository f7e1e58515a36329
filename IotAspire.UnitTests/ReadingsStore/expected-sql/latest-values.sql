SELECT q.i, last.recorded_at, last.reading
FROM unnest(@customer_ids, @series_ids) WITH ORDINALITY AS q(customer_id, series_id, i)
CROSS JOIN LATERAL (SELECT recorded_at, reading FROM readings r
                    WHERE r.customer_id = q.customer_id AND r.series_id = q.series_id
                    ORDER BY recorded_at DESC LIMIT 1) last
