using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.LiveUpdates;

/// <summary>
/// The AppHost with two API replicas (<c>Api:Replicas=2</c>) behind Aspire's proxy: both start on one database,
/// and a batch stored through either reaches subscribers on both, because it travels through PostgreSQL.
/// </summary>
public sealed class ReplicaTests : IAsyncLifetime
{
    private RunningAppHost? appHost;

    public async Task InitializeAsync() =>
        appHost = await RunningAppHost.StartAsync(RunningAppHost.NewDataDirectory(), ["Api:Replicas=2"], ResourceNames.Auth, ResourceNames.Api);

    public async Task DisposeAsync()
    {
        if (appHost is not null)
        {
            await appHost.DisposeAsync();
            await RunningAppHost.DeleteDataAsync(appHost.DataDirectory);
        }
    }

    [Fact]
    public async Task A_batch_stored_through_one_replica_reaches_subscribers_on_both()
    {
        var auth = new TokenServiceClient(appHost!);
        var graphQL = new GraphQLClient(appHost!);
        var (customer, customerId) = await auth.NewCustomerAsync();

        // New connections are spread over the replicas by the proxy, once both are up (the wait for a healthy
        // "api" may return when the first is): connect until both have subscribers.
        var clients = new Dictionary<string, GraphQLWebSocketClient>();
        for (var attempt = 0; attempt < 120 && clients.Count < 2; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(500);
            }

            var (client, ack) = await GraphQLWebSocketClient.SignedInAsync(appHost!, customer);
            var replica = ack.GetProperty("replica").GetString()!;
            if (!clients.TryAdd(replica, client))
            {
                await client.DisposeAsync();
            }
        }

        try
        {
            Assert.Equal(2, clients.Count);
            foreach (var client in clients.Values)
            {
                await client.SubscribeAsync("s", GraphQLDocuments.ReadingsIngested);
            }

            await Task.Delay(500);
            var device = Guid.NewGuid();
            // Stored through whichever replica the proxy picks: at least one subscriber is on the other.
            for (var i = 0; i < 4; i++)
            {
                await graphQL.DataAsync(GraphQLDocuments.Ingest,
                    new { readings = new[] { new { timestamp = $"2022-01-01T00:0{i}:00Z", reading = (double)i, deviceId = device } } }, customer);
            }

            foreach (var client in clients.Values)
            {
                for (var i = 0; i < 4; i++)
                {
                    var reading = (await client.ReceiveForAsync("s")).GetProperty("payload").GetProperty("data").GetProperty("readingsIngested")[0];
                    Assert.Equal(customerId, reading.GetProperty("customerId").GetGuid());
                    Assert.Equal(device, reading.GetProperty("deviceId").GetGuid());
                }
            }
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                await client.DisposeAsync();
            }
        }
    }
}
