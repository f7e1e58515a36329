COPY readings (customer_id, device_id, recorded_at, reading) FROM STDIN (FORMAT BINARY)
