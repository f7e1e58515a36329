using IotAspire.Tests.Infrastructure;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace IotAspire.Tests.Foundation;

/// <summary>Starts its own AppHost twice on one data directory, so it does not share the run's fixture.</summary>
public sealed class LocalPostgresLifecycleTests
{
    [Fact]
    public async Task Data_and_the_token_signing_key_survive_an_AppHost_restart_and_no_server_process_is_left_behind()
    {
        var dataDirectory = RunningAppHost.NewDataDirectory();
        var marker = Guid.NewGuid();
        try
        {
            string signingKeyBefore;
            await using (var first = await RunningAppHost.StartAsync(dataDirectory, ResourceNames.ReadingsDatabase, ResourceNames.Auth))
            {
                signingKeyBefore = await PublishedKeyIdsAsync(first);
                Assert.NotEmpty(LocalPostgresProcesses.Serving(dataDirectory));
                await ExecuteAsync(first, "CREATE TABLE restart_marker (id uuid PRIMARY KEY)");
                await ExecuteAsync(first, $"INSERT INTO restart_marker VALUES ('{marker}')");
            }

            Assert.Empty(await LocalPostgresProcesses.WaitUntilGoneAsync(dataDirectory));

            await using (var second = await RunningAppHost.StartAsync(dataDirectory, ResourceNames.ReadingsDatabase, ResourceNames.Auth))
            {
                Assert.Equal(signingKeyBefore, await PublishedKeyIdsAsync(second));
                await using var connection = new NpgsqlConnection(await second.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
                await connection.OpenAsync();
                await using var read = new NpgsqlCommand("SELECT id FROM restart_marker", connection);
                Assert.Equal(marker, await read.ExecuteScalarAsync());
            }

            Assert.Empty(await LocalPostgresProcesses.WaitUntilGoneAsync(dataDirectory));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<string> PublishedKeyIdsAsync(RunningAppHost appHost)
    {
        using var http = appHost.CreateHttpClient(ResourceNames.Auth);
        var jwks = await http.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");
        return string.Join(",", jwks.GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString()));
    }

    private static async Task ExecuteAsync(RunningAppHost appHost, string sql)
    {
        await using var connection = new NpgsqlConnection(await appHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
