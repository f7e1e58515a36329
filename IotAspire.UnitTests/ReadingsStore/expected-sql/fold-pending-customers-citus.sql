SELECT /* every customer */ customer_id, get_shard_id_for_distribution_column('rollup_pending', customer_id) AS shard
FROM rollup_pending GROUP BY customer_id ORDER BY min(id) LIMIT @max_customers
