SELECT lower(span), upper(span)
FROM (SELECT unnest(range_agg(span)) AS span
      FROM rollup_pending_spans
      WHERE span && tstzrange(@from, @to)
        AND customer_id = @customer_id) AS merged
ORDER BY 1
