SELECT FROM devices WHERE customer_id = @customer AND id = @device FOR NO KEY UPDATE
