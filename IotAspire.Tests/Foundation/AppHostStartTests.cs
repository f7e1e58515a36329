using System.Net;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Foundation;

[Collection(AppHostCollection.Name)]
public sealed class AppHostStartTests(AppHostFixture fixture)
{
    [Theory]
    [InlineData(ResourceNames.Api)]
    [InlineData(ResourceNames.Auth)]
    public async Task Service_reports_healthy_over_http_including_its_database(string service)
    {
        using var http = fixture.AppHost.CreateHttpClient(service);

        var health = await http.GetAsync("/health");
        var alive = await http.GetAsync("/alive");

        // /health runs the service's database check (DatabaseHealthCheck), so "Healthy" means the service
        // reached its database; the outage test sees it fail.
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Theory]
    [InlineData(ResourceNames.ReadingsDatabase, "InitialReadingsSchema", "readings", "users")]
    [InlineData(ResourceNames.AccountsDatabase, "InitialAccountsSchema", "users", "readings")]
    public async Task Each_service_migrated_its_own_database_and_only_that(
        string database, string migration, string ownTable, string otherServicesTable)
    {
        await using var connection = new NpgsqlConnection(await fixture.AppHost.ConnectionStringAsync(database));
        await connection.OpenAsync();

        var applied = await QueryStringsAsync(connection, """SELECT "MigrationId" FROM "__EFMigrationsHistory" """);
        var tables = await QueryStringsAsync(connection, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'");

        Assert.Contains(applied, id => id.EndsWith("_" + migration));
        Assert.Contains(ownTable, tables);
        Assert.DoesNotContain(otherServicesTable, tables);
    }

    [Fact]
    public async Task Readings_key_carries_the_reading_for_index_only_scans()
    {
        await using var connection = new NpgsqlConnection(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await connection.OpenAsync();

        var definition = await QueryStringsAsync(connection,
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'readings'::regclass AND indisprimary");

        Assert.Equal(
            "CREATE UNIQUE INDEX \"PK_readings\" ON public.readings USING btree (customer_id, series_id, recorded_at) INCLUDE (reading)",
            Assert.Single(definition));
    }

    private static async Task<List<string>> QueryStringsAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
