using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class AddIngestedAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ingested_at",
                table: "readings",
                type: "timestamp with time zone",
                nullable: false,
                defaultValueSql: "now()");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ingested_at",
                table: "readings");
        }
    }
}
