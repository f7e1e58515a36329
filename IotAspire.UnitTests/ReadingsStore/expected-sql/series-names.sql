SELECT id, device_id, key FROM series WHERE customer_id = @customer_id AND id = ANY(@series_ids)
