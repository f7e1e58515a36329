INSERT INTO devices (id, customer_id, first_seen_at) VALUES (@device_id, @customer_id, now())
ON CONFLICT (customer_id, id) DO NOTHING
