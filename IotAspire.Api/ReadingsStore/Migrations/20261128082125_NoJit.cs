using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IotAspire.Api.ReadingsStore.Migrations
{
    /// <inheritdoc />
    public partial class NoJit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every query on this database reads a few index ranges per device, but the planner cannot see
            // the ranges of a Grafana panel's parts (they come from the dashboard's time range in a CTE) and
            // estimates 200 000 rows, past jit_above_cost: compiling then took 13-15 ms of a 1-day panel that
            // runs in 3-10 ms without it (bench/results, Grafana). The database's owner may set this for
            // every role that connects, including Grafana's; new sessions take it.
            migrationBuilder.Sql("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jit = off', current_database()); END $$;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET jit', current_database()); END $$;");
        }
    }
}
