using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class Retention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "customer_retention",
                columns: table => new
                {
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    keep_readings_days = table.Column<int>(type: "integer", nullable: true),
                    keep_rollups_days = table.Column<int>(type: "integer", nullable: true),
                    readings_deleted_before = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    rollups_deleted_before = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_by = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_customer_retention", x => x.customer_id);
                    table.CheckConstraint("ck_customer_retention_periods", "keep_readings_days >= 1 AND (keep_rollups_days IS NULL OR keep_rollups_days >= keep_readings_days) OR keep_readings_days IS NULL AND keep_rollups_days IS NULL");
                });

            migrationBuilder.CreateTable(
                name: "retention_runs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    readings_cutoff = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    rollups_cutoff = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    readings_deleted = table.Column<long>(type: "bigint", nullable: false),
                    rollup_rows_deleted = table.Column<long>(type: "bigint", nullable: false),
                    outcome = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_runs", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_retention_runs_customer_id_started_at",
                table: "retention_runs",
                columns: new[] { "customer_id", "started_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "customer_retention");

            migrationBuilder.DropTable(
                name: "retention_runs");
        }
    }
}
