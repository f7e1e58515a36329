using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace IotAspire.Api.Data.Migrations
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
            migrationBuilder.Sql(Data.PendingRollups.SpansViewSql);
            migrationBuilder.Sql(Data.PendingRollups.CountsViewSql);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"DROP VIEW {Data.PendingRollups.CountsView}");
            migrationBuilder.Sql($"DROP VIEW {Data.PendingRollups.SpansView}");

            migrationBuilder.DropTable(
                name: "rollup_pending");
        }
    }
}
