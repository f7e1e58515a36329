using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <summary>
    /// One SQL definition of how Grafana's panels tile a range: <c>readings_tiled(customers, devices, from, to, bucket)</c>
    /// returns the parts whose figures add up to every bucket of <c>bucket</c> over [from, to] (Grafana's range includes its
    /// end): whole buckets of the coarsest rollup whose buckets divide <c>bucket</c> (the API's rule,
    /// <c>ReadingRollups.For</c>), the readings for the partial buckets at the ends, for a bucket no rollup divides, and for
    /// rollup buckets that pending rows touch (so a panel is exact at every moment, as the API's answers are). The panels
    /// group its rows by their own bucket; before this migration each held its own copy of this SQL.
    /// A grain added later is a migration that replaces this function. No model change: no target model.
    /// </summary>
    [DbContext(typeof(ReadingsDbContext))]
    [Migration("20261207051500_GrafanaTiling")]
    public partial class GrafanaTiling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // PL/pgSQL running the query as text with its arguments written in as literals: Citus plans no parameterized
            // SQL function over distributed tables ("parameterized queries for SQL functions referencing distributed
            // tables are not supported"), and a query with literals plans as the panel's own SQL did, on one server too.
            // Grafana's role runs it with its own rights (SELECT on the tables it names).
            migrationBuilder.Sql("""
                CREATE FUNCTION readings_tiled(of_customers uuid[], of_devices uuid[], range_from timestamptz, range_to timestamptz, bucket interval)
                RETURNS TABLE (at timestamptz, device uuid, total double precision, n bigint, low double precision, high double precision)
                LANGUAGE plpgsql STABLE
                AS $tiled$
                DECLARE
                    -- The coarsest rollup whose buckets divide the panel's bucket (none: the readings answer alone).
                    seconds bigint := extract(epoch FROM bucket)::bigint;
                    grain interval := CASE WHEN seconds % 86400 = 0 THEN INTERVAL '1 day'
                                           WHEN seconds % 3600 = 0 THEN INTERVAL '1 hour'
                                           WHEN seconds % 300 = 0 THEN INTERVAL '5 minutes' END;
                    rollup text := CASE WHEN seconds % 86400 = 0 THEN 'readings_daily'
                                        WHEN seconds % 3600 = 0 THEN 'readings_hourly'
                                        ELSE 'readings_five_minute' END;   -- without a grain no bucket of it is whole: unread
                BEGIN
                RETURN QUERY EXECUTE format($query$
                WITH bounds AS (
                  -- The whole rollup buckets inside the range; none without a rollup.
                  SELECT CASE WHEN first_whole < end_whole THEN first_whole ELSE %4$L::timestamptz + INTERVAL '1 microsecond' END AS whole_from,
                         CASE WHEN first_whole < end_whole THEN end_whole ELSE %4$L::timestamptz + INTERVAL '1 microsecond' END AS whole_to
                  FROM (SELECT date_bin(%5$L::interval, %3$L::timestamptz + %5$L::interval - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') AS first_whole,
                               date_bin(%5$L::interval, %4$L::timestamptz + INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') AS end_whole) AS whole
                ), stale AS (
                  -- Whole rollup buckets holding readings the rollups do not have yet: read from the readings instead.
                  SELECT DISTINCT s.customer_id, s.device_id, b.bucket_start
                  FROM rollup_pending_spans s, bounds,
                       generate_series(date_bin(%5$L::interval, lower(s.span), TIMESTAMPTZ '1970-01-01 00:00:00+00'), upper(s.span) - INTERVAL '1 microsecond', %5$L::interval) AS b(bucket_start)
                  WHERE s.customer_id = ANY(%1$L::uuid[]) AND s.device_id = ANY(%2$L::uuid[])
                    AND b.bucket_start >= whole_from AND b.bucket_start < whole_to
                )
                SELECT bucket_start, r.device_id, reading_sum, reading_count::bigint, reading_min, reading_max FROM %6$I r, bounds
                WHERE customer_id = ANY(%1$L::uuid[]) AND r.device_id = ANY(%2$L::uuid[])
                  AND bucket_start >= whole_from AND bucket_start < whole_to
                  AND NOT EXISTS (SELECT FROM stale WHERE stale.customer_id = r.customer_id AND stale.device_id = r.device_id AND stale.bucket_start = r.bucket_start)
                UNION ALL
                SELECT recorded_at, r.device_id, reading, 1::bigint, reading, reading FROM stale
                JOIN readings r ON r.customer_id = stale.customer_id AND r.device_id = stale.device_id
                 AND r.recorded_at >= stale.bucket_start AND r.recorded_at < stale.bucket_start + %5$L::interval
                UNION ALL
                SELECT recorded_at, r.device_id, reading, 1::bigint, reading, reading FROM readings r, bounds
                WHERE customer_id = ANY(%1$L::uuid[]) AND r.device_id = ANY(%2$L::uuid[]) AND recorded_at >= %3$L::timestamptz AND recorded_at < whole_from
                UNION ALL
                SELECT recorded_at, r.device_id, reading, 1::bigint, reading, reading FROM readings r, bounds
                WHERE customer_id = ANY(%1$L::uuid[]) AND r.device_id = ANY(%2$L::uuid[]) AND recorded_at >= whole_to AND recorded_at <= %4$L::timestamptz
                $query$, of_customers, of_devices, range_from, range_to, grain, rollup);
                END
                $tiled$
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION readings_tiled(uuid[], uuid[], timestamptz, timestamptz, interval)");
        }
    }
}
