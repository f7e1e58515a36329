using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{

    /// <inheritdoc />
    public partial class PendingRollupsTable : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "rollup_pending",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    customer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    device_ids = table.Column<Guid[]>(type: "uuid[]", nullable: false),
                    first_at = table.Column<DateTime[]>(type: "timestamp with time zone[]", nullable: false),
                    last_at = table.Column<DateTime[]>(type: "timestamp with time zone[]", nullable: false),
                    reading_counts = table.Column<int[]>(type: "integer[]", nullable: false),
                    ingested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rollup_pending", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_rollup_pending_customer_id",
                table: "rollup_pending",
                column: "customer_id");

            // Rollups written before this migration were kept inside the ingest transaction: exact, nothing pending.
            // The views' text as this migration runs it, never the live code's (a migration is history).
            migrationBuilder.Sql("""
                CREATE VIEW rollup_pending_spans AS
                SELECT p.customer_id, d.device_id, unnest(range_agg(tstzrange(d.first_at, d.last_at + INTERVAL '1 microsecond'))) AS span
                FROM rollup_pending p CROSS JOIN LATERAL unnest(p.device_ids, p.first_at, p.last_at) AS d(device_id, first_at, last_at)
                GROUP BY p.customer_id, d.device_id
                """);
            migrationBuilder.Sql("""
                CREATE VIEW rollup_pending_counts AS
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP VIEW rollup_pending_counts");
            migrationBuilder.Sql("DROP VIEW rollup_pending_spans");

            migrationBuilder.DropTable(
                name: "rollup_pending");
        }
    }
}
