SELECT FROM series WHERE customer_id = @customer AND id = @series FOR NO KEY UPDATE
