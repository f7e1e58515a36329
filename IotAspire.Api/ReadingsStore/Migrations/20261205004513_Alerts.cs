using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class Alerts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "alert_deliveries",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    alert_id = table.Column<long>(type: "bigint", nullable: false),
                    url = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_status_code = table.Column<int>(type: "integer", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    delivered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_deliveries", x => new { x.customer_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "alert_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    rule_id = table.Column<Guid>(type: "uuid", nullable: false),
                    device_id = table.Column<Guid>(type: "uuid", nullable: false),
                    state = table.Column<string>(type: "text", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reading_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    reading = table.Column<double>(type: "double precision", nullable: true),
                    message = table.Column<string>(type: "text", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_events", x => new { x.customer_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "alert_pending",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    device_id = table.Column<Guid>(type: "uuid", nullable: false),
                    first_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_pending", x => new { x.customer_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "alert_rules",
                columns: table => new
                {
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    device_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    threshold = table.Column<double>(type: "double precision", nullable: true),
                    minutes = table.Column<int>(type: "integer", nullable: false),
                    muted = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_by = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_rules", x => new { x.customer_id, x.id });
                    table.CheckConstraint("ck_alert_rules_kind", "kind IN ('ABOVE', 'BELOW', 'NO_DATA', 'RATE_OF_CHANGE')");
                });

            migrationBuilder.CreateTable(
                name: "alert_webhooks",
                columns: table => new
                {
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    url = table.Column<string>(type: "text", nullable: false),
                    secret = table.Column<string>(type: "text", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_by = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_webhooks", x => x.customer_id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_alert_deliveries_customer_id_status_next_attempt_at",
                table: "alert_deliveries",
                columns: new[] { "customer_id", "status", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "IX_alert_events_customer_id_at",
                table: "alert_events",
                columns: new[] { "customer_id", "at" });

            migrationBuilder.CreateIndex(
                name: "IX_alert_events_customer_id_rule_id_state_at",
                table: "alert_events",
                columns: new[] { "customer_id", "rule_id", "state", "at" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_alert_rules_customer_id_device_id",
                table: "alert_rules",
                columns: new[] { "customer_id", "device_id" });

            // On Citus, the new tables go to the workers beside the readings (a table already distributed is left alone).
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
                name: "alert_deliveries");

            migrationBuilder.DropTable(
                name: "alert_events");

            migrationBuilder.DropTable(
                name: "alert_pending");

            migrationBuilder.DropTable(
                name: "alert_rules");

            migrationBuilder.DropTable(
                name: "alert_webhooks");
        }
    }
}
