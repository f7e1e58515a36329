using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Auth.Data.Migrations
{
    /// <inheritdoc />
    public partial class RevokePublicConnect : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Only roles granted CONNECT may enter the accounts database: not, for one, Grafana's reader.
            migrationBuilder.Sql("DO $$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database()); END $$;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO PUBLIC', current_database()); END $$;");
        }
    }
}
