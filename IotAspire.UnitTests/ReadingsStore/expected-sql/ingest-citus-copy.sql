COPY readings (customer_id, series_id, recorded_at, reading) FROM STDIN (FORMAT BINARY)
