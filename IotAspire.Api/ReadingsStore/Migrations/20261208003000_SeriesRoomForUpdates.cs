using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <summary>
    /// Room on each page of the series catalog, so that the materializer's updates of a series' counts, span and newest
    /// value stay HOT: every fold rewrites the row of each series it touches, none of those columns is indexed, and a
    /// HOT update adds no index entry and is pruned within its page without a vacuum. With full pages the updates went
    /// elsewhere: under the bench's smart-meter ingest the 3 000 rows of one customer had spread over 2 578 pages
    /// (169 669 dead versions, 10 % of updates HOT), and the fold's update scanned them all, 25 ms of a 139 ms fold
    /// (bench/results/2026-12-07-telemetry-keys.md, "Fifth pass"). As the rollups' fillfactor, the price is half a
    /// page of a small table. No model change: no target model.
    /// </summary>
    [DbContext(typeof(ReadingsDbContext))]
    [Migration("20261208003000_SeriesRoomForUpdates")]
    public partial class SeriesRoomForUpdates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("ALTER TABLE series SET (fillfactor = 50);");

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("ALTER TABLE series RESET (fillfactor);");
    }
}
