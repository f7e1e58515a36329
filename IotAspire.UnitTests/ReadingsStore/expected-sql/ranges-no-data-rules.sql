SELECT r.id, r.device_id, r.name, r.minutes, r.created_at, last.recorded_at, last.reading, s.state, s.at, s.reading_at
FROM alert_rules r
LEFT JOIN LATERAL (SELECT recorded_at, reading FROM readings x WHERE x.customer_id = @customer_id AND x.series_id = r.series_id
                   ORDER BY recorded_at DESC LIMIT 1) last ON true
LEFT JOIN LATERAL (SELECT state, at, reading_at FROM alert_events e WHERE e.customer_id = @customer_id AND e.rule_id = r.id
                   ORDER BY at DESC, id DESC LIMIT 1) s ON true
WHERE r.customer_id = @customer_id AND r.kind = 'NO_DATA' AND NOT r.muted
