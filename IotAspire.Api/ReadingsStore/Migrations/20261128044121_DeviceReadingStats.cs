using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class DeviceReadingStats : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "first_reading_at",
                table: "devices",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_reading_at",
                table: "devices",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "reading_count",
                table: "devices",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // Existing devices start from their readings; from here on ingestion and provisioning keep them.
            migrationBuilder.Sql(
                """
                UPDATE devices SET reading_count = stats.reading_count,
                                   first_reading_at = stats.first_reading_at,
                                   last_reading_at = stats.last_reading_at
                FROM (SELECT customer_id, device_id, count(*) AS reading_count,
                             min(recorded_at) AS first_reading_at, max(recorded_at) AS last_reading_at
                      FROM readings GROUP BY customer_id, device_id) AS stats
                WHERE stats.customer_id = devices.customer_id AND stats.device_id = devices.id;
                """);

            migrationBuilder.CreateIndex(
                name: "IX_readings_ingested_at",
                table: "readings",
                column: "ingested_at")
                .Annotation("Npgsql:IndexMethod", "brin");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_readings_ingested_at",
                table: "readings");

            migrationBuilder.DropColumn(
                name: "first_reading_at",
                table: "devices");

            migrationBuilder.DropColumn(
                name: "last_reading_at",
                table: "devices");

            migrationBuilder.DropColumn(
                name: "reading_count",
                table: "devices");
        }
    }
}
