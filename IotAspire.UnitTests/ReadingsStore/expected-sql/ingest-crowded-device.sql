SELECT /* every customer */ device_id FROM series
WHERE customer_id = ANY(@new_customers) AND device_id = ANY(@new_devices)
GROUP BY customer_id, device_id HAVING count(*) > @max_keys
LIMIT 1
