SELECT /* every customer */ customer_id, 0::bigint AS shard
FROM rollup_pending GROUP BY customer_id ORDER BY min(id) LIMIT @max_customers
