using System.Net;
using System.Net.WebSockets;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.LiveUpdates;

/// <summary>
/// The graphql-transport-ws protocol's rules on the running API: every misuse is closed with the
/// protocol's code and a reason that says what to do.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class WebSocketProtocolTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAfterAsync(params object[] messages)
    {
        await using var client = await GraphQLWebSocketClient.ConnectAsync(fixture.AppHost);
        foreach (var message in messages)
        {
            await (message is string text ? client.SendTextAsync(text) : client.SendAsync(message));
        }

        return await client.ReceiveCloseAsync();
    }

    [Fact]
    public async Task Ping_is_answered_and_a_query_and_a_mutation_run_over_the_socket()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var (client, ack) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, customer);
        await using var _ = client;
        Assert.True(Guid.TryParse(ack.GetProperty("replica").GetString(), out var _));

        await client.SendAsync(new { type = "ping" });
        Assert.Equal("pong", (await client.ReceiveAsync()).GetProperty("type").GetString());

        var device = Guid.NewGuid();
        await client.SubscribeAsync("m", GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = "2022-01-01T00:00:00Z", reading = 1.0, deviceId = device } } });
        var next = await client.ReceiveForAsync("m");
        Assert.Equal(1, next.GetProperty("payload").GetProperty("data").GetProperty("ingestReadings").GetProperty("inserted").GetInt32());
        Assert.Equal("complete", (await client.ReceiveForAsync("m")).GetProperty("type").GetString());

        await client.SubscribeAsync("q", GraphQLDocuments.Devices);
        Assert.Equal(device, (await client.ReceiveForAsync("q")).GetProperty("payload").GetProperty("data").GetProperty("devices")[0].GetProperty("id").GetGuid());

        // A document that does not validate gets an error message for its id; the connection stays.
        await client.SubscribeAsync("bad", "subscription { noSuchField }");
        var error = await client.ReceiveForAsync("bad");
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Contains("noSuchField", error.GetProperty("payload")[0].GetProperty("message").GetString());
        await client.SendAsync(new { type = "ping" });
        Assert.Equal("pong", (await client.ReceiveAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Every_protocol_misuse_is_closed_with_its_code()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var init = new { type = "connection_init", payload = new { Authorization = $"Bearer {customer}" } };
        var subscribe = new { id = "1", type = "subscribe", payload = new { query = GraphQLDocuments.ReadingsIngested } };

        Assert.Equal((WebSocketCloseStatus)4408, (await ClosedAfterAsync()).Status);   // no connection_init in time (2 s in tests)
        Assert.Equal((WebSocketCloseStatus)4401, (await ClosedAfterAsync(subscribe)).Status);
        Assert.Equal((WebSocketCloseStatus)4429, (await ClosedAfterAsync(init, init)).Status);
        Assert.Equal((WebSocketCloseStatus)4409, (await ClosedAfterAsync(init, subscribe, subscribe)).Status);
        Assert.Equal((WebSocketCloseStatus)4400, (await ClosedAfterAsync("not json")).Status);
        Assert.Equal((WebSocketCloseStatus)4400, (await ClosedAfterAsync(new { type = "start" })).Status);
        Assert.Equal((WebSocketCloseStatus)4400, (await ClosedAfterAsync(init, new { id = "1", type = "subscribe", payload = new { q = 1 } })).Status);

        var (status, reason) = await ClosedAfterAsync(new { type = "connection_init" });
        Assert.Equal((WebSocketCloseStatus)4403, status);
        Assert.Contains("Authorization", reason);
        (status, reason) = await ClosedAfterAsync(new { type = "connection_init", payload = new { Authorization = "Bearer not-a-token" } });
        Assert.Equal((WebSocketCloseStatus)4403, status);
        Assert.Contains("not valid", reason);

        // The older subscriptions-transport-ws protocol (or none) is refused as the protocol says.
        await using var noProtocol = await GraphQLWebSocketClient.ConnectAsync(fixture.AppHost, subprotocol: null);
        Assert.Equal((WebSocketCloseStatus)4406, (await noProtocol.ReceiveCloseAsync()).Status);
    }

    [Fact]
    public async Task A_subscription_over_http_is_refused_with_a_pointer_to_the_websocket()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var (status, body) = await graphQL.PostAsync(GraphQLDocuments.ReadingsIngested, null, customer);
        Assert.Equal(HttpStatusCode.OK, status);
        var (code, message) = GraphQLClient.SingleError(body);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains("graphql-transport-ws", message);
    }

    [Fact]
    public async Task A_revoked_device_token_cannot_start_operations_on_its_open_socket()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var created = (await graphQL.DataAsync(GraphQLDocuments.CreateDeviceToken, new { d = device }, customer)).GetProperty("createDeviceToken");
        var (client, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, created.GetProperty("token").GetString()!);
        await using var _ = client;
        await graphQL.DataAsync(GraphQLDocuments.RevokeDeviceToken, new { id = created.GetProperty("deviceToken").GetProperty("id").GetGuid() }, customer);
        await Task.Delay(TimeSpan.FromSeconds(6));   // revocation reaches every replica within 5 s

        await client.SubscribeAsync("m", GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = "2022-01-01T00:00:00Z", reading = 1.0, deviceId = device } } });
        var (status, reason) = await client.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4403, status);
        Assert.Contains("no longer valid", reason);
    }
}
