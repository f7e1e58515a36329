SELECT groups.grp, parts.*
FROM (SELECT DISTINCT grp FROM unnest(@groups) AS x(grp)) AS groups
CROSS JOIN LATERAL (SELECT date_bin(make_interval(mins => @aggregation_size_minutes), r.recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), NULL::float8, NULL::float8, NULL::float8, NULL::float8, stddev_samp(reading), (array_agg(reading ORDER BY recorded_at))[1], (array_agg(reading ORDER BY recorded_at DESC))[1], percentile_cont(@percentiles) WITHIN GROUP (ORDER BY reading)
                    FROM unnest(@series_ids, @groups) AS m(series_id, grp)
                    JOIN readings r ON r.customer_id = @customer_id AND r.series_id = m.series_id
                    WHERE m.grp IS NOT DISTINCT FROM groups.grp AND r.recorded_at >= @from AND r.recorded_at < @to
                    GROUP BY 1) AS parts (bucket_start, total, n, low, high, stddev, first, last, percentiles)
