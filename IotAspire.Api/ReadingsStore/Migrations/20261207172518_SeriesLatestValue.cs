using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class SeriesLatestValue : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Nothing is filled in: a series without the value is answered from its readings (latest reads it so), and
            // the materializer writes it on the series' next fold; an upgrade adds a column to the catalog and no more.
            migrationBuilder.AddColumn<double>(
                name: "last_reading",
                table: "series",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "last_reading",
                table: "series");
        }
    }
}
