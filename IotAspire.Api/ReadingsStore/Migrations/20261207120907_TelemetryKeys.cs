using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <summary>
    /// Named values per device (issue 31): readings, rollups, per-minute counts and pending rows are kept per series (one key
    /// of one device) instead of per device; <c>series</c> names them and holds their counts; devices get a name and tags;
    /// alert rules a key. An existing installation's readings become key <c>reading</c> without moving: that series' id is
    /// the device's (docs/operations.md gives the time this takes).
    /// </summary>
    public partial class TelemetryKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The catalog of series, filled first from what the devices' rows and the readings hold: every reading stored so
            // far becomes key 'reading' of its device, whose series id is the device id (SeriesIds.cs), so no reading moves.
            migrationBuilder.Sql("""
                CREATE TABLE series (
                    customer_id uuid NOT NULL,
                    id uuid NOT NULL,
                    device_id uuid NOT NULL,
                    key text NOT NULL,
                    first_seen_at timestamp with time zone NOT NULL DEFAULT now(),
                    reading_count bigint NOT NULL DEFAULT 0,
                    first_reading_at timestamp with time zone,
                    last_reading_at timestamp with time zone,
                    CONSTRAINT "PK_series" PRIMARY KEY (customer_id, id)
                );
                CREATE UNIQUE INDEX "IX_series_customer_id_device_id_key" ON series (customer_id, device_id, key);
                """);

            // On Citus, the catalog goes to the workers beside the readings before it is filled (a table already distributed is
            // left alone), so that the statements filling it run on each worker.
            migrationBuilder.Sql("""
                DO $citus$ BEGIN
                    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
                        RETURN;
                    END IF;
                    SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
                    PERFORM create_reference_table(t) FROM unnest(ARRAY['device_claims', 'device_tokens', 'customer_retention', 'live_subscribers']) AS t
                        WHERE to_regclass(t) IS NOT NULL AND NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = to_regclass(t));
                    PERFORM create_distributed_table(t, 'customer_id', colocate_with => CASE WHEN t = 'readings' THEN 'default' ELSE 'readings' END)
                        FROM unnest(ARRAY['readings', 'readings_five_minute', 'readings_hourly', 'readings_daily', 'ingested_per_minute', 'rollup_pending', 'devices', 'series', 'retention_runs', 'alert_rules', 'alert_events', 'alert_pending', 'alert_webhooks', 'alert_deliveries']) WITH ORDINALITY AS d(t, n)
                        WHERE to_regclass(t) IS NOT NULL AND NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = to_regclass(t))
                        ORDER BY n;
                END $citus$;
                """);

            // A device's row held its count and span as far as the rollups hold them: they move to its series. Readings
            // left under a customer the device has since moved away from have no device row there: their series' count is
            // what the five-minute rollup holds, their span their first and last stored reading (the materializer only
            // widens a span, so a pending reading counted in it early changes nothing).
            migrationBuilder.Sql("""
                INSERT INTO series (customer_id, id, device_id, key, first_seen_at, reading_count, first_reading_at, last_reading_at)
                SELECT customer_id, id, id, 'reading', first_seen_at, reading_count, first_reading_at, last_reading_at FROM devices;

                INSERT INTO series (customer_id, id, device_id, key, first_seen_at, reading_count, first_reading_at, last_reading_at)
                SELECT o.customer_id, o.device_id, o.device_id, 'reading', now(), rolled.n, stored.first_at, stored.last_at
                FROM (SELECT customer_id, device_id FROM readings_daily
                      UNION SELECT customer_id, device_id FROM rollup_pending_spans) AS o
                LEFT JOIN LATERAL (SELECT coalesce(sum(f.reading_count), 0) AS n FROM readings_five_minute f
                                   WHERE f.customer_id = o.customer_id AND f.device_id = o.device_id) AS rolled ON true
                LEFT JOIN LATERAL (SELECT min(r.recorded_at) AS first_at, max(r.recorded_at) AS last_at FROM readings r
                                   WHERE r.customer_id = o.customer_id AND r.device_id = o.device_id) AS stored ON true
                WHERE NOT EXISTS (SELECT FROM devices d WHERE d.customer_id = o.customer_id AND d.id = o.device_id);
                """);

            // The views and Grafana's function name the renamed columns in their text: dropped here, made again below.
            migrationBuilder.Sql("""
                DROP FUNCTION readings_tiled(uuid[], uuid[], timestamptz, timestamptz, interval);
                DROP VIEW rollup_pending_counts;
                DROP VIEW rollup_pending_spans;
                """);

            // Readings and everything made from them are kept per series: a rename, no row rewritten.
            migrationBuilder.Sql("""
                ALTER TABLE readings RENAME COLUMN device_id TO series_id;
                ALTER TABLE readings_five_minute RENAME COLUMN device_id TO series_id;
                ALTER TABLE readings_hourly RENAME COLUMN device_id TO series_id;
                ALTER TABLE readings_daily RENAME COLUMN device_id TO series_id;
                ALTER TABLE ingested_per_minute RENAME COLUMN device_id TO series_id;
                ALTER TABLE rollup_pending RENAME COLUMN device_ids TO series_ids;
                ALTER TABLE alert_pending RENAME COLUMN device_id TO series_id;
                """);

            // Devices: their counts now live in their series; a name and tags of the customer's choosing.
            migrationBuilder.Sql("""
                ALTER TABLE devices DROP COLUMN first_reading_at, DROP COLUMN last_reading_at, DROP COLUMN reading_count,
                    ADD COLUMN name text, ADD COLUMN tags jsonb NOT NULL DEFAULT '{}'::jsonb;
                CREATE UNIQUE INDEX "IX_devices_customer_id_name" ON devices (customer_id, name) WHERE name IS NOT NULL;
                """);

            // A rule watches one key of its device; the rules written before keys watch 'reading', whose series is the device.
            migrationBuilder.Sql("""
                DROP INDEX "IX_alert_rules_customer_id_device_id";
                ALTER TABLE alert_rules ADD COLUMN key text NOT NULL DEFAULT 'reading', ADD COLUMN series_id uuid;
                UPDATE alert_rules SET series_id = device_id;
                ALTER TABLE alert_rules ALTER COLUMN series_id SET NOT NULL;
                CREATE INDEX "IX_alert_rules_customer_id_series_id" ON alert_rules (customer_id, series_id);
                """);

            // The views again, per series (their text as this migration runs it).
            migrationBuilder.Sql("""
                CREATE VIEW rollup_pending_spans AS
                SELECT p.customer_id, s.series_id, unnest(range_agg(tstzrange(s.first_at, s.last_at + INTERVAL '1 microsecond'))) AS span
                FROM rollup_pending p CROSS JOIN LATERAL unnest(p.series_ids, p.first_at, p.last_at) AS s(series_id, first_at, last_at)
                GROUP BY p.customer_id, s.series_id
                """);
            migrationBuilder.Sql("""
                CREATE VIEW rollup_pending_counts AS
                SELECT b.customer_id, b.series_id, sum(raw.n - rolled.n)::bigint AS added, min(raw.first_at) AS first_at, max(raw.last_at) AS last_at
                FROM (SELECT customer_id, series_id,
                             unnest(range_agg(tstzrange(date_bin(INTERVAL '5 minutes', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                                        date_bin(INTERVAL '5 minutes', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '5 minutes'))) AS span
                      FROM rollup_pending_spans
                      GROUP BY 1, 2) AS b
                CROSS JOIN LATERAL (SELECT count(*) AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at FROM readings r
                                    WHERE r.customer_id = b.customer_id AND r.series_id = b.series_id
                                      AND r.recorded_at >= lower(b.span) AND r.recorded_at < upper(b.span)) AS raw
                CROSS JOIN LATERAL (SELECT coalesce(sum(reading_count), 0) AS n FROM readings_five_minute f
                                    WHERE f.customer_id = b.customer_id AND f.series_id = b.series_id
                                      AND f.bucket_start >= lower(b.span) AND f.bucket_start < upper(b.span)) AS rolled
                GROUP BY 1, 2
                """);

            // The device and key of each series Grafana's panels show, for their labels: a function as readings_tiled is, so
            // that a panel joins two functions' rows on the coordinator (Citus runs no distributed query from inside one
            // pushed to a shard, which a join of readings_tiled with the series table would be).
            migrationBuilder.Sql("""
                CREATE FUNCTION series_named(of_customers uuid[], of_series uuid[])
                RETURNS TABLE (series uuid, device uuid, key text)
                LANGUAGE plpgsql STABLE
                AS $named$
                BEGIN
                RETURN QUERY EXECUTE format('SELECT DISTINCT id, device_id, key FROM series WHERE customer_id = ANY(%1$L::uuid[]) AND id = ANY(%2$L::uuid[])',
                                            of_customers, of_series);
                END
                $named$
                """);

            // Grafana's tiling (20261207051500_GrafanaTiling says how it tiles), over series: the panels pass the series of
            // the devices and key they show, and get each part's series back.
            migrationBuilder.Sql("""
                CREATE FUNCTION readings_tiled(of_customers uuid[], of_series uuid[], range_from timestamptz, range_to timestamptz, bucket interval)
                RETURNS TABLE (at timestamptz, series uuid, total double precision, n bigint, low double precision, high double precision)
                LANGUAGE plpgsql STABLE
                AS $tiled$
                DECLARE
                    seconds bigint := extract(epoch FROM bucket)::bigint;
                    grain interval := CASE WHEN seconds % 86400 = 0 THEN INTERVAL '1 day'
                                           WHEN seconds % 3600 = 0 THEN INTERVAL '1 hour'
                                           WHEN seconds % 300 = 0 THEN INTERVAL '5 minutes' END;
                    rollup text := CASE WHEN seconds % 86400 = 0 THEN 'readings_daily'
                                        WHEN seconds % 3600 = 0 THEN 'readings_hourly'
                                        ELSE 'readings_five_minute' END;
                BEGIN
                RETURN QUERY EXECUTE format($query$
                WITH bounds AS (
                  SELECT CASE WHEN first_whole < end_whole THEN first_whole ELSE %4$L::timestamptz + INTERVAL '1 microsecond' END AS whole_from,
                         CASE WHEN first_whole < end_whole THEN end_whole ELSE %4$L::timestamptz + INTERVAL '1 microsecond' END AS whole_to
                  FROM (SELECT date_bin(%5$L::interval, %3$L::timestamptz + %5$L::interval - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') AS first_whole,
                               date_bin(%5$L::interval, %4$L::timestamptz + INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') AS end_whole) AS whole
                ), stale AS (
                  SELECT DISTINCT s.customer_id, s.series_id, b.bucket_start
                  FROM rollup_pending_spans s, bounds,
                       generate_series(date_bin(%5$L::interval, lower(s.span), TIMESTAMPTZ '1970-01-01 00:00:00+00'), upper(s.span) - INTERVAL '1 microsecond', %5$L::interval) AS b(bucket_start)
                  WHERE s.customer_id = ANY(%1$L::uuid[]) AND s.series_id = ANY(%2$L::uuid[])
                    AND b.bucket_start >= whole_from AND b.bucket_start < whole_to
                )
                SELECT bucket_start, r.series_id, reading_sum, reading_count::bigint, reading_min, reading_max FROM %6$I r, bounds
                WHERE customer_id = ANY(%1$L::uuid[]) AND r.series_id = ANY(%2$L::uuid[])
                  AND bucket_start >= whole_from AND bucket_start < whole_to
                  AND NOT EXISTS (SELECT FROM stale WHERE stale.customer_id = r.customer_id AND stale.series_id = r.series_id AND stale.bucket_start = r.bucket_start)
                UNION ALL
                SELECT recorded_at, r.series_id, reading, 1::bigint, reading, reading FROM stale
                JOIN readings r ON r.customer_id = stale.customer_id AND r.series_id = stale.series_id
                 AND r.recorded_at >= stale.bucket_start AND r.recorded_at < stale.bucket_start + %5$L::interval
                UNION ALL
                SELECT recorded_at, r.series_id, reading, 1::bigint, reading, reading FROM readings r, bounds
                WHERE customer_id = ANY(%1$L::uuid[]) AND r.series_id = ANY(%2$L::uuid[]) AND recorded_at >= %3$L::timestamptz AND recorded_at < whole_from
                UNION ALL
                SELECT recorded_at, r.series_id, reading, 1::bigint, reading, reading FROM readings r, bounds
                WHERE customer_id = ANY(%1$L::uuid[]) AND r.series_id = ANY(%2$L::uuid[]) AND recorded_at >= whole_to AND recorded_at <= %4$L::timestamptz
                $query$, of_customers, of_series, range_from, range_to, grain, rollup);
                END
                $tiled$
                """);

        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            throw new NotSupportedException("TelemetryKeys is not undone: readings of keys other than 'reading' have no place in the schema before it.");
    }
}
