using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class FiveMinuteRollup : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "readings_five_minute",
                columns: table => new
                {
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    device_id = table.Column<Guid>(type: "uuid", nullable: false),
                    bucket_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reading_count = table.Column<long>(type: "bigint", nullable: false),
                    reading_sum = table.Column<double>(type: "double precision", nullable: false),
                    reading_min = table.Column<double>(type: "double precision", nullable: false),
                    reading_max = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_readings_five_minute", x => new { x.customer_id, x.device_id, x.bucket_start });
                });

            // As the hourly and daily rollups (20261128053633_ReadingRollups): room for HOT updates, and the
            // readings already stored.
            migrationBuilder.Sql(
                """
                ALTER TABLE readings_five_minute SET (fillfactor = 70);

                INSERT INTO readings_five_minute (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
                SELECT customer_id, device_id, date_bin(INTERVAL '5 minutes', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                       count(*), sum(reading), min(reading), max(reading)
                FROM readings GROUP BY 1, 2, 3;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "readings_five_minute");
        }
    }
}
