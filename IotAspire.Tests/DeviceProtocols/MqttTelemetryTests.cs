using System.Diagnostics;
using System.Globalization;
using IotAspire.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Npgsql;

namespace IotAspire.Tests.DeviceProtocols;

/// <summary>
/// Devices speaking MQTT to the running API (MQTTnet's client; <see cref="MosquittoClientTests"/> uses Debian's): the
/// device token as the user name, ThingsBoard's topic and payloads, a PUBACK only for what is committed, refusals that
/// say why and store nothing, revocation that ends a live session, and a device that writes only its own device.
/// </summary>
[Collection(AppHostCollection.Name)]
public class MqttTelemetryTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    public static async Task<(string Token, Guid Id)> DeviceTokenAsync(GraphQLClient graphQL, string customer, Guid device)
    {
        var created = (await graphQL.DataAsync(GraphQLDocuments.CreateDeviceToken, new { d = device }, customer)).GetProperty("createDeviceToken");
        return (created.GetProperty("token").GetString()!, created.GetProperty("deviceToken").GetProperty("id").GetGuid());
    }

    /// <summary>The device's stored values as (key, time, value), in key and time order.</summary>
    public static async Task<List<(string Key, DateTimeOffset At, double Value)>> StoredAsync(RunningAppHost appHost, Guid device)
    {
        await using var dataSource = NpgsqlDataSource.Create(await appHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        return await Sql.ListAsync(dataSource, """
            SELECT s.key, r.recorded_at, r.reading FROM readings r JOIN series s ON s.customer_id = r.customer_id AND s.id = r.series_id
            WHERE s.device_id = $1 ORDER BY 1, 2
            """, r => (r.GetString(0), new DateTimeOffset(r.GetDateTime(1), TimeSpan.Zero), r.GetDouble(2)), device);
    }

    private static DateTimeOffset At(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task Each_payload_shape_is_stored_once_acknowledged_and_reads_back_through_the_api(MqttProtocolVersion version)
    {
        var (customer, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var (token, _) = await DeviceTokenAsync(graphQL, customer, device);
        await using var mqtt = await MqttDevice.ConnectAsync(fixture.AppHost, token, version);

        var before = DateTimeOffset.UtcNow;
        foreach (var payload in new[]
        {
            """{"ts": 1775001600000, "values": {"temperature": 21.5, "humidity": 40, "door": true}}""",
            """[{"ts": 1775001660000, "values": {"temperature": 21.75}}, {"ts": 1775001720000, "values": {"temperature": -0.1, "door": false}}]""",
            """{"battery": 3.3}""",
            $$"""[{"timestamp": "2026-04-01T00:03:00Z", "reading": 7.25, "device_id": "{{device}}", "customer_id": "{{customerId}}"}]""",
        })
        {
            var result = await mqtt.PublishAsync(payload);
            Assert.True(result.IsSuccess, $"{payload}: {result.ReasonCode} {result.ReasonString}");
        }

        // Acknowledged means committed: every value is there the moment the last PUBACK arrived.
        var stored = await StoredAsync(fixture.AppHost, device);
        var battery = Assert.Single(stored, v => v.Key == "battery");
        Assert.InRange(battery.At, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(
            [("door", At(1775001600000), 1.0), ("door", At(1775001720000), 0.0), ("humidity", At(1775001600000), 40.0),
             ("reading", At(1775001780000), 7.25),
             ("temperature", At(1775001600000), 21.5), ("temperature", At(1775001660000), 21.75), ("temperature", At(1775001720000), -0.1)],
            stored.Where(v => v.Key != "battery"));

        // A QoS 0 message has no acknowledgement: it is stored all the same, shortly.
        await mqtt.PublishAsync("""{"ts": 1775001840000, "values": {"temperature": 22}}""", MqttQualityOfServiceLevel.AtMostOnce);
        var clock = Stopwatch.StartNew();
        while (!(await StoredAsync(fixture.AppHost, device)).Contains(("temperature", At(1775001840000), 22.0)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "A QoS 0 message was not stored within 10 s.");
            await Task.Delay(100);
        }

        // The customer reads them as it reads any device's values.
        var latest = await graphQL.DataAsync("query($d: [UUID!]) { latest(deviceIds: $d, keys: [\"temperature\"]) { key timestamp value } }", new { d = new[] { device } }, customer);
        var value = Assert.Single(latest.GetProperty("latest").EnumerateArray());
        Assert.Equal(22, value.GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task A_bad_payload_stores_nothing_and_mqtt_5_hears_why_while_mqtt_3_is_disconnected()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var (device, other) = (Guid.NewGuid(), Guid.NewGuid());
        var (token, _) = await DeviceTokenAsync(graphQL, customer, device);
        await using var mqtt = await MqttDevice.ConnectAsync(fixture.AppHost, token);

        foreach (var (payload, code, says) in new (string, MqttClientPublishReasonCode, string)[]
        {
            ("""{"temperature": 21.5, "status": "hot"}""", MqttClientPublishReasonCode.PayloadFormatInvalid, "payload.status is text (\"hot\")"),
            ("""{"ts": 1775001600000, "values": {"temperature": 1, "bad key": 2}}""", MqttClientPublishReasonCode.PayloadFormatInvalid, "must be 1 to 64 letters"),
            ("""{"ts": 4102444800001, "values": {"temperature": 1}}""", MqttClientPublishReasonCode.PayloadFormatInvalid, "outside the accepted range"),
            ("""{"ts": "2026-04-01T00:00:00Z", "values": {"temperature": 1}}""", MqttClientPublishReasonCode.PayloadFormatInvalid, "whole milliseconds"),
            ("""{"ts": 1775001600000, "values": {"temperature": 1}, "extra": 1}""", MqttClientPublishReasonCode.PayloadFormatInvalid, "beside ts and values"),
            ("""{"temperature": {"nested": 1}}""", MqttClientPublishReasonCode.PayloadFormatInvalid, "is an object"),
            ("""[{"temperature": 1}, 5]""", MqttClientPublishReasonCode.PayloadFormatInvalid, "[1] must be an object"),
            ("not json", MqttClientPublishReasonCode.PayloadFormatInvalid, "not valid JSON"),
            ("""{"temperature": 1e300}""", MqttClientPublishReasonCode.PayloadFormatInvalid, "finite number"),
            ($$"""[{"timestamp": "2026-04-01T00:00:00Z", "reading": 1, "device_id": "{{other}}"}]""", MqttClientPublishReasonCode.NotAuthorized, $"may only send readings of device {device}"),
        })
        {
            var result = await mqtt.PublishAsync(payload);
            Assert.True(code == result.ReasonCode, $"{payload}: {result.ReasonCode} {result.ReasonString}");
            Assert.Contains(says, result.ReasonString);
        }

        var topic = await mqtt.PublishAsync("""{"temperature": 1}""", topic: "v1/devices/me/attributes");
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, topic.ReasonCode);
        Assert.True(mqtt.IsConnected);
        Assert.Empty(await StoredAsync(fixture.AppHost, device));
        Assert.Empty(await StoredAsync(fixture.AppHost, other));

        // MQTT 3.1.1 cannot carry a reason: the connection ends, and nothing is stored.
        await using var old = await MqttDevice.ConnectAsync(fixture.AppHost, token, MqttProtocolVersion.V311);
        await Assert.ThrowsAnyAsync<Exception>(() => old.PublishAsync("""{"temperature": "hot"}"""));
        await old.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(await StoredAsync(fixture.AppHost, device));
    }

    [Fact]
    public async Task A_missing_bad_or_revoked_token_is_refused_in_connack_and_revoking_ends_a_live_session_within_seconds()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var (token, id) = await DeviceTokenAsync(graphQL, customer, device);
        foreach (var bad in new[] { "", "iotd_made-up", token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA"), await auth.AdminAccessTokenAsync() })
        {
            var refused = await Assert.ThrowsAsync<MqttConnectRefusedException>(() => MqttDevice.ConnectAsync(fixture.AppHost, bad));
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, refused.ResultCode);
        }

        await using var live = await MqttDevice.ConnectAsync(fixture.AppHost, token);
        Assert.True((await live.PublishAsync("""{"temperature": 1}""")).IsSuccess);
        await graphQL.DataAsync(GraphQLDocuments.RevokeDeviceToken, new { id }, customer);
        var ended = await live.Disconnected.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, ended.Reason);
        var again = await Assert.ThrowsAsync<MqttConnectRefusedException>(() => MqttDevice.ConnectAsync(fixture.AppHost, token));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, again.ResultCode);
    }

    [Fact]
    public async Task A_device_cannot_take_another_devices_client_id_subscribe_or_have_anything_routed()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        var (firstToken, _) = await DeviceTokenAsync(graphQL, customer, first);
        var (secondToken, _) = await DeviceTokenAsync(graphQL, customer, second);
        var clientId = "shared-" + Guid.NewGuid().ToString("N");
        await using var holder = await MqttDevice.ConnectAsync(fixture.AppHost, firstToken, clientId: clientId);
        if (fixture is CitusAppHostFixture)
        {
            // Two replicas behind the port: each knows only its own sessions (docs/device-protocols.md, "Known limits"), so
            // the second device may be accepted on the other one; either way it never takes the first one's session.
            try
            {
                await using var other = await MqttDevice.ConnectAsync(fixture.AppHost, secondToken, clientId: clientId);
            }
            catch (MqttConnectRefusedException refused)
            {
                Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, refused.ResultCode);
            }
        }
        else
        {
            var taken = await Assert.ThrowsAsync<MqttConnectRefusedException>(() => MqttDevice.ConnectAsync(fixture.AppHost, secondToken, clientId: clientId));
            Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, taken.ResultCode);

            // The device itself reconnecting with its id takes its session over; the old session's end keeps the id held.
            await using (var again = await MqttDevice.ConnectAsync(fixture.AppHost, firstToken, clientId: clientId))
            {
                await holder.Disconnected.WaitAsync(TimeSpan.FromSeconds(10));
                var stillTaken = await Assert.ThrowsAsync<MqttConnectRefusedException>(() => MqttDevice.ConnectAsync(fixture.AppHost, secondToken, clientId: clientId));
                Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, stillTaken.ResultCode);
                Assert.True((await again.SubscribeAsync("#")).Items.Single().ResultCode == MqttClientSubscribeResultCode.NotAuthorized);
                Assert.True((await again.PublishAsync("""{"temperature": 5}""")).IsSuccess);
            }

            return;
        }

        Assert.True(holder.IsConnected);

        var subscribed = await holder.SubscribeAsync("#");
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(subscribed.Items).ResultCode);
        Assert.True((await holder.PublishAsync("""{"temperature": 5}""")).IsSuccess);
    }

    [Fact]
    public async Task Devices_publishing_at_once_share_group_commits_and_one_refused_payload_fails_no_other()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (customer, customerId) = await auth.NewCustomerAsync();
        var (keeping, keepingId) = await auth.NewCustomerAsync();
        var devices = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToArray();
        var oldDevice = Guid.NewGuid();
        var tokens = new List<string>();
        foreach (var device in devices)
        {
            tokens.Add((await DeviceTokenAsync(graphQL, customer, device)).Token);
        }

        // A customer whose retention refuses old readings: its device's old message is refused, at the database.
        var (oldToken, _) = await DeviceTokenAsync(graphQL, keeping, oldDevice);
        await graphQL.DataAsync("mutation($c: UUID!) { setRetention(customerId: $c, keepReadingsDays: 30, keepRollupsDays: 30) { customerId } }", new { c = keepingId }, admin);

        var connections = await Task.WhenAll(tokens.Select(t => MqttDevice.ConnectAsync(fixture.AppHost, t)));
        await using var old = await MqttDevice.ConnectAsync(fixture.AppHost, oldToken);
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000 * 1000;
            for (var round = 0; round < 5; round++)
            {
                var sends = connections.Select((c, i) => c.PublishAsync($$$"""{"ts": {{{now - round * 60_000}}}, "values": {"power": {{{i}}}.5, "voltage": 230}}""")).ToList();
                var refusal = old.PublishAsync("""{"ts": 1000000000000, "values": {"power": 1}}""");
                Assert.All(await Task.WhenAll(sends), r => Assert.True(r.IsSuccess, $"{r.ReasonCode} {r.ReasonString}"));
                var refused = await refusal;
                Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, refused.ReasonCode);
                Assert.Contains("older than the customer's retention", refused.ReasonString);
            }

            for (var i = 0; i < devices.Length; i++)
            {
                var stored = await StoredAsync(fixture.AppHost, devices[i]);
                Assert.Equal(10, stored.Count);
                Assert.All(stored.Where(v => v.Key == "power"), v => Assert.Equal(i + 0.5, v.Value));
            }

            Assert.Empty(await StoredAsync(fixture.AppHost, oldDevice));
            var devicesSeen = await graphQL.DataAsync(GraphQLDocuments.Devices, new { customerId }, customer);
            Assert.Equal(devices.Length, devicesSeen.GetProperty("devices").GetArrayLength());
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_packet_declaring_more_than_the_limit_ends_the_connection_before_any_token_is_checked()
    {
        // A CONNECT claiming 256 MB (MQTT's most): MQTTnet alone would reserve it all; the listener ends the connection at the header.
        foreach (var header in new byte[][] { [0x10, 0xFF, 0xFF, 0xFF, 0x7F], [0x10, 0x80, 0x80, 0x80, 0x80, 0x01] })
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync("127.0.0.1", fixture.AppHost.MqttPort);
            var stream = tcp.GetStream();
            await stream.WriteAsync(header);
            var clock = Stopwatch.StartNew();
            try
            {
                await stream.WriteAsync(new byte[64 * 1024]);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                Assert.Equal(0, await stream.ReadAsync(new byte[16], timeout.Token));
            }
            catch (IOException)
            {
                // Reset by the server while writing: ended just the same.
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task Another_customers_device_or_customer_named_in_a_payload_is_refused_and_their_values_stay_as_they_were()
    {
        var (first, firstId) = await auth.NewCustomerAsync();
        var (second, _) = await auth.NewCustomerAsync();
        var (theirs, mine) = (Guid.NewGuid(), Guid.NewGuid());
        var (theirToken, _) = await DeviceTokenAsync(graphQL, first, theirs);
        var (myToken, _) = await DeviceTokenAsync(graphQL, second, mine);
        await using (var owner = await MqttDevice.ConnectAsync(fixture.AppHost, theirToken))
        {
            Assert.True((await owner.PublishAsync("""{"ts": 1775001600000, "values": {"power": 1}}""")).IsSuccess);
        }

        var before = await StoredAsync(fixture.AppHost, theirs);
        await using var attacker = await MqttDevice.ConnectAsync(fixture.AppHost, myToken);
        foreach (var payload in new[]
        {
            $$"""[{"timestamp": "2026-04-01T00:00:00Z", "reading": 666, "device_id": "{{theirs}}"}]""",
            $$"""[{"timestamp": "2026-04-01T00:00:00Z", "reading": 666, "device_id": "{{theirs}}", "customer_id": "{{firstId}}"}]""",
            $$"""[{"timestamp": "2026-04-01T00:00:00Z", "reading": 666, "device_id": "{{mine}}", "customer_id": "{{firstId}}"}]""",
        })
        {
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await attacker.PublishAsync(payload)).ReasonCode);
            using var http = await graphQL.Http.PostAsync($"/api/v1/{myToken}/telemetry", new StringContent(payload, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, http.StatusCode);
        }

        // A timed message is always the token's own device: it lands on the attacker's device, never on theirs.
        Assert.True((await attacker.PublishAsync("""{"ts": 1775001600000, "values": {"power": 666}}""")).IsSuccess);
        Assert.Equal(before, await StoredAsync(fixture.AppHost, theirs));
        Assert.Equal([("power", At(1775001600000), 666.0)], await StoredAsync(fixture.AppHost, mine));
        var seen = await graphQL.DataAsync("{ latest { deviceId value } }", null, first);
        Assert.All(seen.GetProperty("latest").EnumerateArray(), v => Assert.Equal(theirs, v.GetProperty("deviceId").GetGuid()));
    }

    [Fact]
    public async Task A_client_that_connects_and_stalls_or_sends_garbage_is_closed_before_any_token_is_checked()
    {
        // Nothing at all; half a CONNECT; bytes that are not MQTT: each connection is ended, the stalls within the
        // listener's communication timeout (10 s), not MQTTnet's default of 100 s.
        var clock = Stopwatch.StartNew();
        var ends = await Task.WhenAll(new byte[][] { [], [0x10, 0x20, 0x00, 0x04, (byte)'M'], [.. System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")] }
            .Select(async sent =>
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync("127.0.0.1", fixture.AppHost.MqttPort);
                var stream = tcp.GetStream();
                await stream.WriteAsync(sent);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    return await stream.ReadAsync(new byte[64], timeout.Token) == 0 ? clock.Elapsed : TimeSpan.MaxValue;
                }
                catch (IOException)
                {
                    return clock.Elapsed;   // reset by the server: ended just the same
                }
            }));
        Assert.All(ends, end => Assert.True(end < TimeSpan.FromSeconds(25), $"ended after {end}"));
    }

    [Fact]
    public async Task Random_doubles_over_the_whole_range_read_back_bit_for_bit()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var (token, _) = await DeviceTokenAsync(graphQL, customer, device);
        var random = new Random(32);
        var sent = Enumerable.Range(0, 300).Select(i => i switch
        {
            0 => double.Epsilon,
            1 => -IotAspire.Api.Ingestion.IngestReadings.MaxMagnitude,
            2 => 0.1 + 0.2,
            _ => BitConverter.Int64BitsToDouble(random.NextInt64()) is var d && Math.Abs(d) <= IotAspire.Api.Ingestion.IngestReadings.MaxMagnitude ? d : random.NextDouble() * 1e6 - 5e5,
        }).ToArray();
        var payload = "{\"ts\": 1775001600000, \"values\": {" + string.Join(", ", sent.Select((v, i) => $"\"k{i:D3}\": {v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}")) + "}}";
        await using var mqtt = await MqttDevice.ConnectAsync(fixture.AppHost, token);
        Assert.True((await mqtt.PublishAsync(payload)).IsSuccess);

        var stored = await StoredAsync(fixture.AppHost, device);
        Assert.Equal(sent.Select(BitConverter.DoubleToInt64Bits), stored.Select(v => BitConverter.DoubleToInt64Bits(v.Value)));
    }

    /// <summary>ThingsBoard's HTTP device API: the token in the path, the same payloads and rules.</summary>
    [Fact]
    public async Task The_thingsboard_http_device_api_stores_the_same_payloads_and_refuses_what_mqtt_refuses()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var (device, other) = (Guid.NewGuid(), Guid.NewGuid());
        var (token, _) = await DeviceTokenAsync(graphQL, customer, device);

        async Task<(System.Net.HttpStatusCode Status, string Body)> PostAsync(string path, string body)
        {
            using var response = await graphQL.Http.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var ok = await PostAsync($"/api/v1/{token}/telemetry", """{"ts": 1775001600000, "values": {"temperature": 21.5, "humidity": 40}}""");
        Assert.Equal((System.Net.HttpStatusCode.OK, ""), ok);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await PostAsync($"/api/v1/{token}/telemetry", """[{"ts": 1775001660000, "values": {"temperature": 22}}]""")).Status);
        Assert.Equal(3, (await StoredAsync(fixture.AppHost, device)).Count);

        var text = await PostAsync($"/api/v1/{token}/telemetry", """{"temperature": "hot"}""");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, text.Status);
        Assert.Contains("payload.temperature is text", text.Body);
        var foreign = await PostAsync($"/api/v1/{token}/telemetry", $$"""[{"timestamp": "2026-04-01T00:00:00Z", "reading": 1, "device_id": "{{other}}"}]""");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, foreign.Status);
        var unknown = await PostAsync("/api/v1/iotd_made-up/telemetry", """{"temperature": 1}""");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unknown.Status);
        Assert.DoesNotContain("iotd_made-up", unknown.Body);
        Assert.Equal(3, (await StoredAsync(fixture.AppHost, device)).Count);
        Assert.Empty(await StoredAsync(fixture.AppHost, other));
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{21.5}"), (await StoredAsync(fixture.AppHost, device)).First(v => v.Key == "temperature").Value.ToString(CultureInfo.InvariantCulture));
    }
}
