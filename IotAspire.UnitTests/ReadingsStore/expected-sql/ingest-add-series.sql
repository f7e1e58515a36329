INSERT INTO series (customer_id, id, device_id, key)
SELECT * FROM unnest(@new_customers, @new_series, @new_devices, @new_keys) ORDER BY 1, 2
ON CONFLICT DO NOTHING
