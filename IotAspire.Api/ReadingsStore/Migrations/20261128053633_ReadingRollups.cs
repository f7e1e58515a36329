using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class ReadingRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ingested_per_minute",
                columns: table => new
                {
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    device_id = table.Column<Guid>(type: "uuid", nullable: false),
                    minute = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reading_count = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ingested_per_minute", x => new { x.customer_id, x.device_id, x.minute });
                });

            migrationBuilder.CreateTable(
                name: "readings_daily",
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
                    table.PrimaryKey("PK_readings_daily", x => new { x.customer_id, x.device_id, x.bucket_start });
                });

            migrationBuilder.CreateTable(
                name: "readings_hourly",
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
                    table.PrimaryKey("PK_readings_hourly", x => new { x.customer_id, x.device_id, x.bucket_start });
                });
            // Rollup rows are rewritten by every batch that adds to their bucket: room on each page keeps those
            // updates HOT (no index entry per update). The rollups start from the readings already stored.
            migrationBuilder.Sql(
                """
                ALTER TABLE readings_hourly SET (fillfactor = 70);
                ALTER TABLE readings_daily SET (fillfactor = 70);
                ALTER TABLE ingested_per_minute SET (fillfactor = 70);

                INSERT INTO readings_hourly (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
                SELECT customer_id, device_id, date_bin(INTERVAL '1 hour', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                       count(*), sum(reading), min(reading), max(reading)
                FROM readings GROUP BY 1, 2, 3;

                INSERT INTO readings_daily (customer_id, device_id, bucket_start, reading_count, reading_sum, reading_min, reading_max)
                SELECT customer_id, device_id, date_bin(INTERVAL '1 day', bucket_start, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                       sum(reading_count), sum(reading_sum), min(reading_min), max(reading_max)
                FROM readings_hourly GROUP BY 1, 2, 3;

                INSERT INTO ingested_per_minute (customer_id, device_id, minute, reading_count)
                SELECT customer_id, device_id, date_bin(INTERVAL '1 minute', ingested_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), count(*)
                FROM readings GROUP BY 1, 2, 3;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ingested_per_minute");

            migrationBuilder.DropTable(
                name: "readings_daily");

            migrationBuilder.DropTable(
                name: "readings_hourly");
        }
    }
}
