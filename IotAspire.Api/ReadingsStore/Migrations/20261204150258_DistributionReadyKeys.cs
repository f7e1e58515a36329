using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class DistributionReadyKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_rollup_pending",
                table: "rollup_pending");

            migrationBuilder.DropIndex(
                name: "IX_rollup_pending_customer_id",
                table: "rollup_pending");

            migrationBuilder.DropPrimaryKey(
                name: "PK_retention_runs",
                table: "retention_runs");

            migrationBuilder.DropPrimaryKey(
                name: "PK_devices",
                table: "devices");

            migrationBuilder.DropIndex(
                name: "IX_devices_customer_id",
                table: "devices");

            migrationBuilder.AddPrimaryKey(
                name: "PK_rollup_pending",
                table: "rollup_pending",
                columns: new[] { "customer_id", "id" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_retention_runs",
                table: "retention_runs",
                columns: new[] { "customer_id", "id" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_devices",
                table: "devices",
                columns: new[] { "customer_id", "id" });

            migrationBuilder.CreateTable(
                name: "device_claims",
                columns: table => new
                {
                    device_id = table.Column<Guid>(type: "uuid", nullable: false),
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    claimed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_device_claims", x => x.device_id);
                });

            // Every device has its claim: the owner its devices row names.
            migrationBuilder.Sql("INSERT INTO device_claims (device_id, customer_id, claimed_at) SELECT id, customer_id, first_seen_at FROM devices");

            // The pending counts without a CTE, which Citus would plan before any filter (PendingRollups.CountsQuery).
            migrationBuilder.Sql("""
                CREATE OR REPLACE VIEW rollup_pending_counts AS
                SELECT b.customer_id, b.device_id, sum(raw.n - rolled.n)::bigint AS added, min(raw.first_at) AS first_at, max(raw.last_at) AS last_at
                FROM (SELECT customer_id, device_id,
                             unnest(range_agg(tstzrange(date_bin(INTERVAL '5 minutes', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                                        date_bin(INTERVAL '5 minutes', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '5 minutes'))) AS span
                      FROM rollup_pending_spans
                      GROUP BY 1, 2) AS b
                CROSS JOIN LATERAL (SELECT count(*) AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at FROM readings r
                                    WHERE r.customer_id = b.customer_id AND r.device_id = b.device_id
                                      AND r.recorded_at >= lower(b.span) AND r.recorded_at < upper(b.span)) AS raw
                CROSS JOIN LATERAL (SELECT coalesce(sum(reading_count), 0) AS n FROM readings_five_minute f
                                    WHERE f.customer_id = b.customer_id AND f.device_id = b.device_id
                                      AND f.bucket_start >= lower(b.span) AND f.bucket_start < upper(b.span)) AS rolled
                GROUP BY 1, 2
                """);

            // On a Citus cluster, distribute the tables now that their keys allow it (nothing on one server). Idempotent, and
            // it names the tables later migrations add (skipped until they exist): the text every later migration runs too.
            migrationBuilder.Sql("""
                DO $citus$ BEGIN
                    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
                        RETURN;
                    END IF;
                    SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
                    PERFORM create_reference_table(t) FROM unnest(ARRAY['device_claims', 'device_tokens', 'customer_retention', 'live_subscribers']) AS t
                        WHERE to_regclass(t) IS NOT NULL AND NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = to_regclass(t));
                    PERFORM create_distributed_table(t, 'customer_id', colocate_with => CASE WHEN t = 'readings' THEN 'default' ELSE 'readings' END)
                        FROM unnest(ARRAY['readings', 'readings_five_minute', 'readings_hourly', 'readings_daily', 'ingested_per_minute', 'rollup_pending', 'devices', 'retention_runs', 'alert_rules', 'alert_events', 'alert_pending', 'alert_webhooks', 'alert_deliveries']) WITH ORDINALITY AS d(t, n)
                        WHERE to_regclass(t) IS NOT NULL AND NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = to_regclass(t))
                        ORDER BY n;
                END $citus$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "device_claims");

            migrationBuilder.DropPrimaryKey(
                name: "PK_rollup_pending",
                table: "rollup_pending");

            migrationBuilder.DropPrimaryKey(
                name: "PK_retention_runs",
                table: "retention_runs");

            migrationBuilder.DropPrimaryKey(
                name: "PK_devices",
                table: "devices");

            migrationBuilder.AddPrimaryKey(
                name: "PK_rollup_pending",
                table: "rollup_pending",
                column: "id");

            migrationBuilder.AddPrimaryKey(
                name: "PK_retention_runs",
                table: "retention_runs",
                column: "id");

            migrationBuilder.AddPrimaryKey(
                name: "PK_devices",
                table: "devices",
                column: "id");

            migrationBuilder.CreateIndex(
                name: "IX_rollup_pending_customer_id",
                table: "rollup_pending",
                column: "customer_id");

            migrationBuilder.CreateIndex(
                name: "IX_devices_customer_id",
                table: "devices",
                column: "customer_id");
        }
    }
}
