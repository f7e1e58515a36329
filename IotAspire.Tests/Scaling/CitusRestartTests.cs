using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Scaling;

/// <summary>
/// Starts its own Citus cluster twice on one data directory, so it does not share the Citus fixture. Aspire's testing
/// builder gives every node new ports on each start, as a machine whose ports were taken meanwhile would: the
/// coordinator must register its workers at their new addresses before anything else talks to them.
/// </summary>
[NeedsCitus]
public sealed class CitusRestartTests
{
    private static readonly string[] Citus = ["Postgres:Mode=citus", $"Postgres:CitusWorkers={CitusAppHostFixture.Workers}"];

    [Fact]
    public async Task A_cluster_started_again_on_other_ports_registers_its_nodes_anew_and_keeps_its_data()
    {
        var dataDirectory = RunningAppHost.NewDataDirectory();
        try
        {
            Guid customerId;
            Guid device = Guid.NewGuid();
            List<int> portsBefore;
            await using (var first = await RunningAppHost.StartAsync(dataDirectory, Citus, ResourceNames.Auth, ResourceNames.Api))
            {
                string token;
                (token, customerId) = await new TokenServiceClient(first).NewCustomerAsync();
                await new GraphQLClient(first).DataAsync(GraphQLDocuments.Ingest,
                    new { readings = new[] { new { timestamp = "2025-04-01T00:00:00Z", reading = 1.0, deviceId = device } } }, token);
                portsBefore = await NodePortsAsync(first);
            }

            await using (var second = await RunningAppHost.StartAsync(dataDirectory, Citus, ResourceNames.Auth, ResourceNames.Api))
            {
                var admin = await new TokenServiceClient(second).AdminAccessTokenAsync();
                var devices = await new GraphQLClient(second).DataAsync(GraphQLDocuments.Devices, new { customerId }, admin);
                var found = Assert.Single(devices.GetProperty("devices").EnumerateArray());
                Assert.Equal(device, found.GetProperty("id").GetGuid());

                // Every node's registered address answers, and every worker holds the same metadata as the coordinator.
                await using var coordinator = NpgsqlDataSource.Create(await second.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
                var unsynced = await Sql.ListAsync(coordinator, "SELECT count(*) FROM pg_dist_node WHERE NOT metadatasynced", r => r.GetInt64(0));
                Assert.Equal(0, unsynced[0]);
                // And the case was the one meant: the nodes came back on other ports.
                Assert.NotEqual(portsBefore, await NodePortsAsync(second));
            }
        }
        finally
        {
            await RunningAppHost.DeleteDataAsync(dataDirectory);
        }
    }

    private static async Task<List<int>> NodePortsAsync(RunningAppHost appHost)
    {
        await using var coordinator = NpgsqlDataSource.Create(await appHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        return await Sql.ListAsync(coordinator, "SELECT nodeport FROM pg_dist_node ORDER BY nodeid", r => r.GetInt32(0));
    }
}
