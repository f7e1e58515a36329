UPDATE devices SET name = CASE WHEN @name::text IS NULL THEN name WHEN @name = '' THEN NULL ELSE @name END,
                   tags = coalesce(@tags::jsonb, tags)
WHERE customer_id = @customer_id AND id = @device_id
