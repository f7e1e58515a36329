using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.Data.Migrations
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
            migrationBuilder.Sql(PendingRollups.CountsViewSql.Replace("CREATE VIEW", "CREATE OR REPLACE VIEW", StringComparison.Ordinal));

            // On a Citus cluster, distribute the tables now that their keys allow it (nothing on one server).
            migrationBuilder.Sql(CitusDistribution.DistributeSql());
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
