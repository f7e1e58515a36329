using System.Net.WebSockets;
using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.LiveUpdates;

/// <summary>
/// Subscriptions through the running API over graphql-transport-ws: readings arrive once committed, only the
/// caller's, aggregates follow each batch, and a slow reader is cut off with a clear close code.
/// </summary>
[Collection(AppHostCollection.Name)]
public class SubscriptionTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private static object Batch(Guid device, params (string At, double Value)[] readings) =>
        new { readings = readings.Select(r => new { timestamp = r.At, reading = r.Value, deviceId = device }).ToArray() };

    private static List<(Guid Device, Guid Customer, DateTimeOffset At, double Value)> Readings(JsonElement next) =>
        [.. next.GetProperty("payload").GetProperty("data").GetProperty("readingsIngested").EnumerateArray().Select(r => (
            r.GetProperty("deviceId").GetGuid(), r.GetProperty("customerId").GetGuid(),
            r.GetProperty("timestamp").GetDateTimeOffset(), r.GetProperty("reading").GetDouble()))];

    [Fact]
    public async Task Committed_readings_arrive_for_the_devices_subscribed_to_and_a_resent_batch_is_not_sent_again()
    {
        var (customer, customerId) = await auth.NewCustomerAsync();
        var (device, other) = (Guid.NewGuid(), Guid.NewGuid());
        var (client, ack) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, customer);
        await using var _ = client;
        Assert.True(ack.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow, "the ack says when the token expires");

        await client.SubscribeAsync("one", GraphQLDocuments.ReadingsIngested, new { d = new[] { device } });
        await client.SubscribeAsync("all", GraphQLDocuments.ReadingsIngested);
        await Task.Delay(300);   // the subscriptions are registered before their first event can be produced

        var batch = Batch(device, ("2022-03-01T10:00:00Z", 1.5), ("2022-03-01T10:01:00Z", -2), ("2022-03-01T10:02:00.123456Z", 1e100));
        await graphQL.DataAsync(GraphQLDocuments.Ingest, batch, customer);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(other, ("2022-03-01T10:00:00Z", 7)), customer);

        var expected = new List<(Guid, Guid, DateTimeOffset, double)>
        {
            (device, customerId, DateTimeOffset.Parse("2022-03-01T10:00:00Z"), 1.5),
            (device, customerId, DateTimeOffset.Parse("2022-03-01T10:01:00Z"), -2),
            (device, customerId, DateTimeOffset.Parse("2022-03-01T10:02:00.123456Z"), 1e100),
        };
        var first = new[] { await client.ReceiveAsync(), await client.ReceiveAsync(), await client.ReceiveAsync() };
        Assert.Equal(expected, Readings(first.Single(m => m.GetProperty("id").GetString() == "one")));
        Assert.Equal([expected, [(other, customerId, DateTimeOffset.Parse("2022-03-01T10:00:00Z"), 7.0)]],
            first.Where(m => m.GetProperty("id").GetString() == "all").Select(Readings));

        // Resent unchanged: nothing was written, nothing is sent. Then a changed value is sent, alone.
        await graphQL.DataAsync(GraphQLDocuments.Ingest, batch, customer);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(device, ("2022-03-01T10:00:00Z", 1.5), ("2022-03-01T10:01:00Z", 3)), customer);
        var changed = new[] { await client.ReceiveAsync(), await client.ReceiveAsync() };
        Assert.Equal(["all", "one"], changed.Select(m => m.GetProperty("id").GetString()).Order());
        Assert.All(changed, m => Assert.Equal([(device, customerId, DateTimeOffset.Parse("2022-03-01T10:01:00Z"), 3.0)], Readings(m)));

        // complete ends a subscription: the next batch reaches only the other one.
        await client.SendAsync(new { id = "one", type = "complete" });
        await Task.Delay(300);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(device, ("2022-03-01T11:00:00Z", 4)), customer);
        Assert.Equal("all", (await client.ReceiveAsync()).GetProperty("id").GetString());
        Assert.Null(await client.TryReceiveAsync(Quiet));
    }

    [Fact]
    public async Task A_subscriber_never_receives_another_customers_readings_however_it_asks()
    {
        var (victim, victimId) = await auth.NewCustomerAsync();
        var (attacker, _) = await auth.NewCustomerAsync();
        var (victimDevice, attackerDevice) = (Guid.NewGuid(), Guid.NewGuid());
        var (client, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, attacker);
        await using var __ = client;

        // Everything of its own, the victim's device by id, an alias, and the victim's aggregates.
        await client.SubscribeAsync("own", GraphQLDocuments.ReadingsIngested);
        await client.SubscribeAsync("named", GraphQLDocuments.ReadingsIngested, new { d = new[] { victimDevice } });
        await client.SubscribeAsync("alias", "subscription($d: [UUID!]) { mine: readingsIngested(deviceIds: $d) { deviceId reading } }", new { d = new[] { victimDevice } });
        await client.SubscribeAsync("aggregates", GraphQLDocuments.DeviceAggregateUpdated, new { d = new[] { victimDevice }, size = 5 });

        // Naming the victim's customer is refused, as for queries.
        await client.SubscribeAsync("customer", GraphQLDocuments.ReadingsIngested, new { c = victimId });
        var refused = await client.ReceiveForAsync("customer");
        Assert.Equal("error", refused.GetProperty("type").GetString());
        Assert.Equal("FORBIDDEN", refused.GetProperty("payload")[0].GetProperty("extensions").GetProperty("code").GetString());
        await Task.Delay(300);

        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(victimDevice, ("2022-04-01T00:00:00Z", 99), ("2022-04-01T00:00:01Z", 98)), victim);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(attackerDevice, ("2022-04-01T00:00:00Z", 1)), attacker);

        // The first (and only) message is the attacker's own reading, committed after the victim's.
        var first = await client.ReceiveAsync();
        Assert.Equal("own", first.GetProperty("id").GetString());
        Assert.Equal(attackerDevice, Assert.Single(Readings(first)).Device);
        Assert.Null(await client.TryReceiveAsync(Quiet));

        // The same device id in the attacker's own batch is refused (the device is the victim's): still nothing.
        var (_, squat) = await graphQL.PostAsync(GraphQLDocuments.Ingest, Batch(victimDevice, ("2022-04-01T00:00:02Z", 1)), attacker);
        Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(squat).Code);
        Assert.Null(await client.TryReceiveAsync(Quiet));
    }

    [Fact]
    public async Task An_administrator_watches_one_customer_or_all_and_a_device_token_may_not_subscribe()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (customer, customerId) = await auth.NewCustomerAsync();
        var (other, _) = await auth.NewCustomerAsync();
        var (device, otherDevice) = (Guid.NewGuid(), Guid.NewGuid());
        var (client, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, admin);
        await using var _ = client;
        await client.SubscribeAsync("customer", GraphQLDocuments.ReadingsIngested, new { c = customerId });
        await client.SubscribeAsync("every", GraphQLDocuments.ReadingsIngested, new { d = new[] { device, otherDevice } });
        await Task.Delay(300);

        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(otherDevice, ("2022-05-01T00:00:00Z", 2)), other);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(device, ("2022-05-01T00:00:00Z", 1)), customer);
        var messages = new[] { await client.ReceiveAsync(), await client.ReceiveAsync(), await client.ReceiveAsync() };
        Assert.Equal(["customer", "every", "every"], messages.Select(m => m.GetProperty("id").GetString()).Order());
        Assert.Equal(device, Assert.Single(Readings(messages.Single(m => m.GetProperty("id").GetString() == "customer"))).Device);

        // A device token connects (it may ingest over the socket) but may not watch anything.
        var token = (await graphQL.DataAsync(GraphQLDocuments.CreateDeviceToken, new { d = device }, customer)).GetProperty("createDeviceToken").GetProperty("token").GetString()!;
        var (deviceClient, deviceAck) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, token);
        await using var ___ = deviceClient;
        Assert.False(deviceAck.TryGetProperty("expiresAt", out var _), "a device token does not expire");
        await deviceClient.SubscribeAsync("s", GraphQLDocuments.ReadingsIngested);
        var refused = await deviceClient.ReceiveForAsync("s");
        Assert.Equal("FORBIDDEN", refused.GetProperty("payload")[0].GetProperty("extensions").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Aggregate_updates_carry_each_changed_bucket_with_the_mean_the_query_gives()
    {
        var (customer, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var (client, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, customer);
        await using var _ = client;
        await client.SubscribeAsync("hourly", GraphQLDocuments.DeviceAggregateUpdated, new { d = new[] { device }, size = 60 });
        // On a connection of its own: ReceiveForAsync drops other operations' messages, and the two arrive in either order.
        var (spreadClient, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, customer);
        await using var __ = spreadClient;
        await spreadClient.SubscribeAsync("spread", """
            subscription($d: [UUID!]) { deviceAggregateUpdated(deviceIds: $d, aggregationSizeMinutes: 60) { aggregatedValues { from stddev first last p50: percentile(p: 0.5) } } }
            """, new { d = new[] { device } });
        await Task.Delay(300);

        static List<(DateTimeOffset, double)> Buckets(JsonElement next)
        {
            Assert.True(next.GetProperty("type").GetString() == "next", next.ToString());
            var aggregate = next.GetProperty("payload").GetProperty("data").GetProperty("deviceAggregateUpdated");
            Assert.Equal(60, aggregate.GetProperty("aggregationSizeMinutes").GetInt32());
            return [.. aggregate.GetProperty("aggregatedValues").EnumerateArray().Select(v => (v.GetProperty("from").GetDateTimeOffset(), v.GetProperty("value").GetDouble()))];
        }

        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(device, ("2022-06-01T10:10:00Z", 10), ("2022-06-01T10:20:00Z", 20)), customer);
        Assert.Equal([(DateTimeOffset.Parse("2022-06-01T10:00:00Z"), 15.0)], Buckets(await client.ReceiveForAsync("hourly")));
        await spreadClient.ReceiveForAsync("spread");

        // A batch over two buckets: both, each with its mean over everything stored in it.
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(device, ("2022-06-01T10:30:00Z", 30), ("2022-06-01T11:05:00Z", 1)), customer);
        var update = Buckets(await client.ReceiveForAsync("hourly"));
        Assert.Equal([(DateTimeOffset.Parse("2022-06-01T10:00:00Z"), 20.0), (DateTimeOffset.Parse("2022-06-01T11:00:00Z"), 1.0)], update);

        // The functions the rollups do not keep are computed for the subscription too, from the readings.
        var spread = (await spreadClient.ReceiveForAsync("spread")).GetProperty("payload").GetProperty("data").GetProperty("deviceAggregateUpdated").GetProperty("aggregatedValues");
        Assert.Equal(
            """[{"from":"2022-06-01T10:00:00+00:00","stddev":10,"first":10,"last":30,"p50":20},{"from":"2022-06-01T11:00:00+00:00","stddev":null,"first":1,"last":1,"p50":1}]""",
            spread.GetRawText());

        var query = await graphQL.DataAsync(GraphQLDocuments.Aggregates, new { from = "2022-06-01T10:00:00Z", to = "2022-06-01T12:00:00Z", size = 60 }, customer);
        var queried = query.GetProperty("deviceAggregates")[0].GetProperty("aggregatedValues").EnumerateArray()
            .Select(v => (v.GetProperty("from").GetDateTimeOffset(), v.GetProperty("value").GetDouble())).ToList();
        Assert.Equal(queried, update);
        Assert.Equal(customerId, query.GetProperty("deviceAggregates")[0].GetProperty("customerId").GetGuid());
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_closed_as_too_slow_and_the_api_carries_on()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var (client, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, customer);
        await using var _ = client;
        await client.SubscribeAsync("s", GraphQLDocuments.ReadingsIngested);
        await Task.Delay(300);

        // The client reads nothing while ~25 MB of readings are sent to it: more than the sockets' buffers
        // hold, so the server's queue (16 messages in tests) fills.
        var start = DateTimeOffset.Parse("2022-07-01T00:00:00Z");
        var batches = Enumerable.Range(0, 200).Select(b => Enumerable.Range(0, 1_000).Select(i => new
        {
            timestamp = start.AddSeconds((b * 1_000) + i).ToString("O"), reading = (double)i, deviceId = device,
        }).ToArray()).ToList();
        await graphQL.IngestConcurrentlyAsync(batches, customer, senders: 2);

        // Then it reads: what was queued, and the close frame with the code for a slow reader.
        var (status, reason) = await client.ReceiveCloseAsync(TimeSpan.FromSeconds(50));
        Assert.Equal((WebSocketCloseStatus)1013, status);
        Assert.Contains("Too slow", reason);

        // Others are served as before.
        var (other, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, customer);
        await using var ___ = other;
        await other.SendAsync(new { type = "ping" });
        Assert.Equal("pong", (await other.ReceiveAsync()).GetProperty("type").GetString());
    }
}
