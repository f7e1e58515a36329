using System.Net.Http.Headers;
using System.Text.Json;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Readings;

/// <summary>
/// Named values per device, through the running API: messages of several keys, every read per key (aggregates, latest,
/// pages, the export, devices), names and tags, answers across a group of devices, alert rules on a key, and the refusals
/// of bad messages. Expected figures come from the values sent (and, where it says so, from SQL over the stored values).
/// </summary>
[Collection(AppHostCollection.Name)]
public class TelemetryKeysTests(AppHostFixture fixture)
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] Keys = ["battery", "humidity", "temperature"];
    private static readonly string[] Humidity = ["humidity"];
    private static readonly string[] Battery = ["battery"];
    private static readonly string[] TemperatureAndBattery = ["temperature", "battery"];
    private static readonly string[] LastKey = ["k699"];

    private const string IngestMessages = "mutation($m: [MessageInput!]!) { ingestMessages(messages: $m) { inserted updated unchanged } }";
    private const string Aggregates = """
        query($d: [UUID!], $k: [String!], $t: [TagInput!], $from: DateTime, $to: DateTime, $size: Int) {
          deviceAggregates(deviceIds: $d, keys: $k, tags: $t, from: $from, to: $to, aggregationSizeMinutes: $size) { deviceId key aggregatedValues { from mean count } } }
        """;
    private const string Groups = """
        query($k: String!, $g: String!, $t: [TagInput!], $from: DateTime, $to: DateTime, $size: Int, $c: UUID) {
          groupAggregates(key: $k, groupBy: $g, tags: $t, from: $from, to: $to, aggregationSizeMinutes: $size, customerId: $c) {
            group key deviceCount aggregatedValues { from mean min max sum count p50: percentile(p: 0.5) } } }
        """;
    private const string SetAttributes = """
        mutation($d: UUID!, $n: String, $t: [TagInput!], $c: UUID) { setDeviceAttributes(deviceId: $d, name: $n, tags: $t, customerId: $c) { id name tags { name value } keys } }
        """;

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    /// <summary>Messages of <paramref name="device"/> every minute for <paramref name="minutes"/>, each value a function of device, key and minute.</summary>
    private static object[] Messages(Guid device, int minutes, int salt = 0) => [.. Enumerable.Range(0, minutes).Select(m => new
    {
        deviceId = device,
        timestamp = Start.AddMinutes(m).ToString("O"),
        values = Keys.Select((key, k) => new { key, value = Value(salt, k, m) }).ToArray(),
    })];

    private static double Value(int salt, int key, int minute) => (salt * 1000) + (key * 100) + (minute % 17) + 0.25;

    [Fact]
    public async Task A_multi_key_message_is_stored_per_key_and_every_read_names_its_key()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var (device, other) = (Guid.NewGuid(), Guid.NewGuid());
        var stored = (await graphQL.DataAsync(IngestMessages, new { m = Messages(device, 30).Concat(Messages(other, 30, salt: 1)).ToArray() }, token)).GetProperty("ingestMessages");
        Assert.Equal(180, stored.GetProperty("inserted").GetInt32());
        // The original shape still works and lands under key reading.
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = Start.ToString("O"), reading = 7.5, deviceId = device } } }, token);

        // Sent again: every value unchanged (idempotent per device, key and time).
        var again = (await graphQL.DataAsync(IngestMessages, new { m = Messages(device, 30) }, token)).GetProperty("ingestMessages");
        Assert.Equal((0, 0, 90), (again.GetProperty("inserted").GetInt32(), again.GetProperty("updated").GetInt32(), again.GetProperty("unchanged").GetInt32()));

        var range = new { from = Start.ToString("O"), to = Start.AddHours(1).ToString("O") };
        // One key: one answer, naming it; its 10-minute means are those of the values sent.
        var humidity = (await graphQL.DataAsync(Aggregates, new { d = new[] { device }, k = Humidity, range.from, range.to, size = 10 }, token))
            .GetProperty("deviceAggregates");
        var answer = Assert.Single(humidity.EnumerateArray());
        Assert.Equal("humidity", answer.GetProperty("key").GetString());
        var expected = Enumerable.Range(0, 30).GroupBy(m => m / 10).Select(g => g.Average(m => Value(0, 1, m))).ToArray();
        Assert.Equal(expected, answer.GetProperty("aggregatedValues").EnumerateArray().Select(v => v.GetProperty("mean").GetDouble()).ToArray());

        // No keys: every key of the device, in key order.
        var every = (await graphQL.DataAsync(Aggregates, new { d = new[] { device }, range.from, range.to, size = 60 }, token)).GetProperty("deviceAggregates");
        Assert.Equal(["battery", "humidity", "reading", "temperature"], every.EnumerateArray().Select(a => a.GetProperty("key").GetString()));
        Assert.Equal([30, 30, 1, 30], every.EnumerateArray().Select(a => a.GetProperty("aggregatedValues")[0].GetProperty("count").GetInt32()));

        // Latest: per series, the newest value and its time.
        var latest = (await graphQL.DataAsync("query($d: [UUID!], $k: [String!]) { latest(deviceIds: $d, keys: $k) { deviceId key timestamp value } }",
            new { d = new[] { device, other }, k = TemperatureAndBattery }, token)).GetProperty("latest");
        Assert.Equal(
            new[] { $"{device} battery {Value(0, 0, 29)}", $"{device} temperature {Value(0, 2, 29)}", $"{other} battery {Value(1, 0, 29)}", $"{other} temperature {Value(1, 2, 29)}" }
                .Order(StringComparer.Ordinal),
            latest.EnumerateArray().Select(l => $"{l.GetProperty("deviceId").GetGuid()} {l.GetProperty("key").GetString()} {l.GetProperty("value").GetDouble()}")
                .Order(StringComparer.Ordinal));
        Assert.All(latest.EnumerateArray(), l => Assert.Equal(Start.AddMinutes(29), l.GetProperty("timestamp").GetDateTimeOffset()));

        // Devices: the keys and the count of every value.
        var devices = (await graphQL.DataAsync("query { devices { id keys readingCount } }", null, token)).GetProperty("devices");
        var mine = devices.EnumerateArray().Single(d => d.GetProperty("id").GetGuid() == device);
        Assert.Equal(["battery", "humidity", "reading", "temperature"], mine.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));

        // A page of one key, and the export with its key column.
        var page = (await graphQL.DataAsync("query($d: [UUID!], $k: [String!]) { readings(deviceIds: $d, keys: $k, first: 100) { edges { node { key reading } } } }",
            new { d = new[] { device }, k = Battery }, token)).GetProperty("readings").GetProperty("edges");
        Assert.Equal(30, page.GetArrayLength());
        Assert.All(page.EnumerateArray(), e => Assert.Equal("battery", e.GetProperty("node").GetProperty("key").GetString()));
        using var export = new HttpRequestMessage(HttpMethod.Get, $"/api/export?deviceIds={device}&keys=temperature,reading");
        export.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await graphQL.Http.SendAsync(export);
        var lines = (await response.Content.ReadAsStringAsync()).TrimEnd().Split("\r\n");
        Assert.Equal("device_id,timestamp,reading,key", lines[0]);
        Assert.Equal(31, lines.Length - 1);
        Assert.Equal(["reading", "temperature"], lines.Skip(1).Select(l => l.Split(',')[3]).Distinct());
    }

    /// <summary>
    /// Latest reads a series' newest value from its catalog row once the materializer has folded it, and from the
    /// readings while a pending batch holds a newer value or the same time changed (or the row holds none: a series
    /// stored before the value was kept). The catalog row is altered by hand to tell the two sources apart.
    /// </summary>
    [Fact]
    public async Task Latest_is_the_folded_value_unless_a_pending_batch_holds_a_newer_or_changed_one()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var series = Api.ReadingsStore.SeriesIds.Of(device, "temperature");
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await graphQL.DataAsync(IngestMessages, new { m = Messages(device, 10) }, token);
        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
        Task<List<(DateTimeOffset At, double? Value)>> CatalogAsync() => Sql.ListAsync(dataSource,
            "SELECT last_reading_at, last_reading FROM series WHERE customer_id = $1 AND id = $2",
            r => (r.GetFieldValue<DateTimeOffset>(0), r.IsDBNull(1) ? (double?)null : r.GetDouble(1)), customerId, series);
        async Task<(DateTimeOffset At, double Value)> LatestAsync()
        {
            var latest = (await graphQL.DataAsync("query($d: [UUID!]) { latest(deviceIds: $d, keys: [\"temperature\"]) { timestamp value } }", new { d = new[] { device } }, token))
                .GetProperty("latest");
            var one = Assert.Single(latest.EnumerateArray());
            return (one.GetProperty("timestamp").GetDateTimeOffset(), one.GetProperty("value").GetDouble());
        }

        object[] Temperature(int minute, double value) => [new { deviceId = device, timestamp = Start.AddMinutes(minute).ToString("O"), values = new[] { new { key = "temperature", value } } }];

        // Folded: the pass wrote the newest value into the series' row, and latest answers it from there.
        Assert.Equal([(Start.AddMinutes(9), (double?)Value(0, 2, 9))], await CatalogAsync());
        await Sql.ExecuteAsync(dataSource, "UPDATE series SET last_reading = 1234.5 WHERE customer_id = $1 AND id = $2", customerId, series);
        Assert.Equal((Start.AddMinutes(9), 1234.5), await LatestAsync());

        await using (await Rollups.HoldMaterializerAsync(dataSource))
        {
            // A late value pending changes nothing; the newest time changed, pending, is read from the readings.
            await graphQL.DataAsync(IngestMessages, new { m = Temperature(3, -1) }, token);
            Assert.Equal((Start.AddMinutes(9), 1234.5), await LatestAsync());
            await graphQL.DataAsync(IngestMessages, new { m = Temperature(9, 99.25) }, token);
            Assert.Equal((Start.AddMinutes(9), 99.25), await LatestAsync());
            await graphQL.DataAsync(IngestMessages, new { m = Temperature(20, 7.75) }, token);
            Assert.Equal((Start.AddMinutes(20), 7.75), await LatestAsync());
        }

        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
        Assert.Equal([(Start.AddMinutes(20), (double?)7.75)], await CatalogAsync());
        Assert.Equal((Start.AddMinutes(20), 7.75), await LatestAsync());

        // A late value folded leaves the newest as it was; a changed newest value folded replaces it.
        await graphQL.DataAsync(IngestMessages, new { m = Temperature(15, 3) }, token);
        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
        Assert.Equal([(Start.AddMinutes(20), (double?)7.75)], await CatalogAsync());
        await graphQL.DataAsync(IngestMessages, new { m = Temperature(20, 8.5) }, token);
        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
        Assert.Equal([(Start.AddMinutes(20), (double?)8.5)], await CatalogAsync());

        // A row without the value (as the upgrade leaves every series) is answered from the readings.
        await Sql.ExecuteAsync(dataSource, "UPDATE series SET last_reading = NULL WHERE customer_id = $1 AND id = $2", customerId, series);
        Assert.Equal((Start.AddMinutes(20), 8.5), await LatestAsync());
    }

    [Fact]
    public async Task A_groups_mean_is_the_mean_of_its_values_and_another_customers_devices_tagged_alike_never_count()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var (otherToken, _) = await auth.NewCustomerAsync();
        var devices = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToArray();
        // Devices of different rates: device 0 sends every minute, the others every 3 minutes (a mean of means would differ).
        var sent = new List<(Guid Device, int Minute, double Value)>();
        for (var d = 0; d < devices.Length; d++)
        {
            var minutes = Enumerable.Range(0, 60).Where(m => d == 0 || m % 3 == 0).ToArray();
            sent.AddRange(minutes.Select(m => (devices[d], m, (d * 10.0) + (m % 7))));
            await graphQL.DataAsync(IngestMessages, new
            {
                m = minutes.Select(m => new { deviceId = devices[d], timestamp = Start.AddMinutes(m).ToString("O"), values = new[] { new { key = "temperature", value = (d * 10.0) + (m % 7) } } }).ToArray(),
            }, token);
        }

        string[] sites = ["berlin", "berlin", "munich"];   // device 3 carries no site: the null group
        for (var d = 0; d < 3; d++)
        {
            await graphQL.DataAsync(SetAttributes, new { d = devices[d], n = $"meter-{d}", t = new[] { new { name = "site", value = sites[d] }, new { name = "floor", value = $"{d}" } } }, token);
        }

        // Another customer: a device tagged and named as ours, sending far larger values.
        var intruder = Guid.NewGuid();
        await graphQL.DataAsync(IngestMessages, new { m = new[] { new { deviceId = intruder, timestamp = Start.ToString("O"), values = new[] { new { key = "temperature", value = 1e6 } } } } }, otherToken);
        await graphQL.DataAsync(SetAttributes, new { d = intruder, n = "meter-0", t = new[] { new { name = "site", value = "berlin" } } }, otherToken);

        var groups = (await graphQL.DataAsync(Groups, new { k = "temperature", g = "site", from = Start.ToString("O"), to = Start.AddHours(1).ToString("O"), size = 60 }, token))
            .GetProperty("groupAggregates");
        Assert.Equal(["berlin", "munich", null], groups.EnumerateArray().Select(g => g.GetProperty("group").GetString()));
        Assert.Equal([2, 1, 1], groups.EnumerateArray().Select(g => g.GetProperty("deviceCount").GetInt32()));
        var berlin = sent.Where(s => s.Device == devices[0] || s.Device == devices[1]).Select(s => s.Value).ToArray();
        var bucket = groups[0].GetProperty("aggregatedValues")[0];
        Assert.Equal(berlin.Length, bucket.GetProperty("count").GetInt32());
        Assert.Equal(berlin.Sum(), bucket.GetProperty("sum").GetDouble(), 9);
        Assert.Equal(berlin.Average(), bucket.GetProperty("mean").GetDouble(), 9);
        Assert.Equal(berlin.Max(), bucket.GetProperty("max").GetDouble());
        var sorted = berlin.Order().ToArray();
        Assert.Equal((sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2, bucket.GetProperty("p50").GetDouble(), 9);

        // A tag filter narrows the groups; names and tags filter devices; deviceAggregates takes tags instead of ids.
        var floor1 = (await graphQL.DataAsync(Groups, new { k = "temperature", g = "site", t = new[] { new { name = "floor", value = "1" } }, from = Start.ToString("O"), to = Start.AddHours(1).ToString("O"), size = 60 }, token))
            .GetProperty("groupAggregates");
        Assert.Equal(1, Assert.Single(floor1.EnumerateArray()).GetProperty("deviceCount").GetInt32());
        var named = (await graphQL.DataAsync("query($n: String) { devices(name: $n) { id name tags { name value } } }", new { n = "meter-0" }, token)).GetProperty("devices");
        Assert.Equal(devices[0], Assert.Single(named.EnumerateArray()).GetProperty("id").GetGuid());
        var tagged = (await graphQL.DataAsync(Aggregates, new { t = new[] { new { name = "site", value = "berlin" } }, from = Start.ToString("O"), to = Start.AddHours(1).ToString("O"), size = 60 }, token))
            .GetProperty("deviceAggregates");
        Assert.Equal(devices[..2].Order(), tagged.EnumerateArray().Select(a => a.GetProperty("deviceId").GetGuid()).Order());

        // A name is unique per customer; another customer's device is not ours to tag; the other customer is not ours to group.
        var (_, taken) = GraphQLClient.SingleError((await graphQL.PostAsync(SetAttributes, new { d = devices[1], n = "meter-0" }, token)).Body);
        Assert.Contains($"device {devices[0]}'s already", taken);
        var (code, _) = GraphQLClient.SingleError((await graphQL.PostAsync(SetAttributes, new { d = intruder, t = new[] { new { name = "site", value = "x" } } }, token)).Body);
        Assert.Equal("BAD_USER_INPUT", code);
        var (forbidden, _) = GraphQLClient.SingleError((await graphQL.PostAsync(Groups, new { k = "temperature", g = "site", c = Guid.NewGuid() }, token)).Body);
        Assert.Equal("FORBIDDEN", forbidden);

        // The stored values agree: the group's sum equals SQL over the stored values of the group's series.
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        var sql = (await Sql.ListAsync(dataSource, """
            SELECT sum(r.reading) FROM readings r JOIN series s ON s.customer_id = r.customer_id AND s.id = r.series_id
            JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id
            WHERE r.customer_id = $1 AND s.key = 'temperature' AND d.tags ->> 'site' = 'berlin'
            """, r => r.GetDouble(0), customerId)).Single();
        Assert.Equal(sql, bucket.GetProperty("sum").GetDouble(), 9);
    }

    /// <summary>An administrator's message names its customer; the customer then reads its values as its own, and another customer nothing.</summary>
    [Fact]
    public async Task An_administrators_message_names_its_customer_and_lands_under_it()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var (other, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var admin = await auth.AdminAccessTokenAsync();
        var (code, message) = GraphQLClient.SingleError((await graphQL.PostAsync(IngestMessages, new { m = Messages(device, 1) }, admin)).Body);
        Assert.Equal(("BAD_USER_INPUT", true), (code, message.Contains("messages[0].customerId is required", StringComparison.Ordinal)));

        var sent = new[] { new { deviceId = device, timestamp = Start.ToString("O"), customerId, values = new[] { new { key = "battery", value = 3.5 } } } };
        Assert.Equal(1, (await graphQL.DataAsync(IngestMessages, new { m = sent }, admin)).GetProperty("ingestMessages").GetProperty("inserted").GetInt32());

        var latest = (await graphQL.DataAsync("{ latest { deviceId key value } }", new { }, token)).GetProperty("latest");
        Assert.Equal((device, "battery", 3.5), latest.EnumerateArray().Select(l => (l.GetProperty("deviceId").GetGuid(), l.GetProperty("key").GetString(), l.GetProperty("value").GetDouble())).Single());
        Assert.Equal(0, (await graphQL.DataAsync("{ latest { deviceId } }", new { }, other)).GetProperty("latest").GetArrayLength());
    }

    [Fact]
    public async Task An_alert_rule_watches_one_key_of_its_device()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        await graphQL.DataAsync(IngestMessages, new { m = Messages(device, 1) }, token);
        var rule = (await graphQL.DataAsync("""
            mutation($d: UUID!) { createAlertRule(deviceId: $d, key: "temperature", kind: ABOVE, minutes: 1, threshold: 250) { id key } }
            """, new { d = device }, token)).GetProperty("createAlertRule");
        Assert.Equal("temperature", rule.GetProperty("key").GetString());

        // Humidity far above the threshold changes nothing; temperature above it for two minutes raises the rule.
        var later = new DateTimeOffset(2025, 6, 2, 0, 0, 0, TimeSpan.Zero);
        await graphQL.DataAsync(IngestMessages, new
        {
            m = Enumerable.Range(0, 3).Select(m => new
            {
                deviceId = device, timestamp = later.AddMinutes(m).ToString("O"),
                values = new[] { new { key = "humidity", value = 900.0 }, new { key = "temperature", value = m == 0 ? 20.0 : 300.0 } },
            }).ToArray(),
        }, token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement alerts;
        do
        {
            await Task.Delay(200);
            alerts = (await graphQL.DataAsync("query($d: [UUID!]) { alerts(deviceIds: $d) { state reading at } }", new { d = new[] { device } }, token)).GetProperty("alerts");
        }
        while (alerts.GetArrayLength() == 0 && DateTime.UtcNow < deadline);

        var raised = Assert.Single(alerts.EnumerateArray());
        Assert.Equal(("RAISED", 300.0), (raised.GetProperty("state").GetString(), raised.GetProperty("reading").GetDouble()));
        Assert.Equal(later.AddMinutes(2), raised.GetProperty("at").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("""[{"deviceId":"$D","timestamp":"2025-06-01T10:00:00Z","values":[{"key":"temp erature","value":1}]}]""", "messages[0].values[0].key must be 1 to 64 letters")]
    [InlineData("""[{"deviceId":"$D","timestamp":"2025-06-01T10:00:00Z","values":[{"key":"a","value":1},{"key":"a","value":2}]}]""", "messages[0].values names key a twice")]
    [InlineData("""[{"deviceId":"$D","timestamp":"2025-06-01T10:00:00Z","values":[]}]""", "messages[0].values is empty")]
    [InlineData("""[{"deviceId":"$D","timestamp":"2025-06-01T10:00:00Z","values":[{"key":"$LONG","value":1}]}]""", "must be 1 to 64 letters")]
    [InlineData("""[{"deviceId":"$D","timestamp":"2025-06-01T10:00:00Z","values":[{"key":"ok","value":1}]},{"deviceId":"$D","timestamp":"2025-06-01T10:01:00Z","values":[{"key":"x/y","value":2}]}]""", "messages[1].values[0].key")]
    public async Task A_bad_message_is_refused_naming_the_problem_and_nothing_is_written(string messages, string expected)
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var json = JsonDocument.Parse(messages.Replace("$D", device.ToString(), StringComparison.Ordinal).Replace("$LONG", new string('k', 65), StringComparison.Ordinal)).RootElement;

        var (status, body) = await graphQL.PostAsync(IngestMessages, new { m = json }, token);

        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        var (code, message) = GraphQLClient.SingleError(body);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains(expected, message, StringComparison.Ordinal);
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        Assert.Equal(0L, (await Sql.ListAsync(dataSource, "SELECT count(*) FROM readings WHERE customer_id = $1", r => r.GetInt64(0), customerId)).Single());
    }

    [Fact]
    public async Task A_live_subscription_to_one_key_gets_that_keys_values_and_updates_only()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        // The device is the customer's. Its first message holds battery only: its notification may reach the API after
        // the subscriptions below start (notifications queue behind other tests' batches), and battery is asked by neither.
        await graphQL.DataAsync(IngestMessages, new { m = new[] { new { deviceId = device, timestamp = Start.ToString("O"), values = new[] { new { key = "battery", value = 3.0 } } } } }, token);
        var (socket, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, token);
        await using (socket)
        {
            await socket.SubscribeAsync("values", "subscription($d: [UUID!]) { readingsIngested(deviceIds: $d, keys: [\"humidity\"]) { deviceId key reading } }", new { d = new[] { device } });
            await socket.SubscribeAsync("buckets", "subscription($d: [UUID!]) { deviceAggregateUpdated(deviceIds: $d, keys: [\"temperature\"], aggregationSizeMinutes: 60) { key aggregatedValues { count } } }", new { d = new[] { device } });
            await Task.Delay(500);   // the subscriptions are registered before the batch commits

            await graphQL.DataAsync(IngestMessages, new { m = new[] { new { deviceId = device, timestamp = Start.AddHours(2).ToString("O"), values = new[] { new { key = "humidity", value = 55.5 }, new { key = "temperature", value = 30.5 }, new { key = "battery", value = 3.1 } } } } }, token);

            var values = (await socket.ReceiveForAsync("values")).GetProperty("payload").GetProperty("data").GetProperty("readingsIngested");
            Assert.Equal(("humidity", 55.5), (Assert.Single(values.EnumerateArray()).GetProperty("key").GetString(), values[0].GetProperty("reading").GetDouble()));
            var update = (await socket.ReceiveForAsync("buckets")).GetProperty("payload").GetProperty("data").GetProperty("deviceAggregateUpdated");
            Assert.Equal(("temperature", 1), (update.GetProperty("key").GetString(), update.GetProperty("aggregatedValues")[0].GetProperty("count").GetInt32()));
            Assert.Null(await socket.TryReceiveAsync(TimeSpan.FromSeconds(1)));   // nothing of the other keys
        }
    }

    [Fact]
    public async Task A_device_has_at_most_a_thousand_keys_and_a_batch_past_that_writes_nothing()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        object Message(int from, int count) => new
        {
            m = new[] { new { deviceId = device, timestamp = Start.ToString("O"), values = Enumerable.Range(from, count).Select(k => new { key = $"k{k}", value = 1.0 }).ToArray() } },
        };

        Assert.Equal(999, (await graphQL.DataAsync(IngestMessages, Message(0, 999), token)).GetProperty("ingestMessages").GetProperty("inserted").GetInt32());
        var (code, message) = GraphQLClient.SingleError((await graphQL.PostAsync(IngestMessages, Message(999, 2), token)).Body);

        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains($"Device {device} would have more than 1000 keys", message, StringComparison.Ordinal);
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        Assert.Equal(999L, (await Sql.ListAsync(dataSource, "SELECT count(*) FROM readings WHERE customer_id = $1", r => r.GetInt64(0), customerId)).Single());
        Assert.Equal(999L, (await Sql.ListAsync(dataSource, "SELECT count(*) FROM series WHERE customer_id = $1", r => r.GetInt64(0), customerId)).Single());
    }

    /// <summary>
    /// A customer with 10 500 series, past the bound on what one request may name (10 000): its batches, held back and
    /// then folded in one materializer pass (a pass over that many series once took 33 s, past its statement timeout,
    /// and never ended), count every series; a read that names nothing answers every series; one naming a key names
    /// its series; latest, whose answer is a row a series, refuses to answer more than the bound.
    /// </summary>
    [Fact]
    public async Task A_customer_with_more_series_than_a_request_may_name_is_folded_in_one_pass_and_read_in_full()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        const int devices = 15, keysEach = 700;
        var ids = Enumerable.Range(0, devices).Select(_ => Guid.NewGuid()).ToArray();
        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await using (await Rollups.HoldMaterializerAsync(dataSource))
        {
            foreach (var chunk in ids.Chunk(5))
            {
                var messages = chunk.Select(d => new
                {
                    deviceId = d,
                    timestamp = Start.ToString("O"),
                    values = Enumerable.Range(0, keysEach).Select(k => new { key = $"k{k}", value = k + 0.5 }).ToArray(),
                }).ToArray();
                await graphQL.DataAsync(IngestMessages, new { m = messages }, token);
            }
        }

        var folding = System.Diagnostics.Stopwatch.StartNew();
        await Rollups.WaitUntilFoldedAsync(dataSource, customerId);
        Console.WriteLine($"10 500 series folded {folding.Elapsed.TotalSeconds:0.0} s after the materializer was let go");
        Assert.Equal([(devices * keysEach, 1L)], await Sql.ListAsync(dataSource,
            "SELECT count(*)::int, min(reading_count) FROM series WHERE customer_id = $1 AND reading_count = 1 GROUP BY reading_count",
            r => (r.GetInt32(0), r.GetInt64(1)), customerId));

        var every = (await graphQL.DataAsync(Aggregates, new { from = Start, to = Start.AddHours(1), size = 60 }, token)).GetProperty("deviceAggregates");
        Assert.Equal(devices * keysEach, every.GetArrayLength());
        var k42 = every.EnumerateArray().Where(a => a.GetProperty("key").GetString() == "k42").ToArray();
        Assert.Equal(ids.Order(), k42.Select(a => a.GetProperty("deviceId").GetGuid()).Order());
        Assert.All(k42, a => Assert.Equal(42.5, a.GetProperty("aggregatedValues")[0].GetProperty("mean").GetDouble()));

        var named = (await graphQL.DataAsync(Aggregates, new { k = LastKey, from = Start, to = Start.AddHours(1), size = 60 }, token)).GetProperty("deviceAggregates");
        Assert.Equal(devices, named.GetArrayLength());
        var (code, message) = GraphQLClient.SingleError((await graphQL.PostAsync("{ latest { deviceId key value } }", new { }, token)).Body);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains("more than 10000 series", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_for_a_value_is_refused_by_the_schema_naming_the_field()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var (status, body) = await graphQL.PostAsync(IngestMessages, new
        {
            m = new[] { new { deviceId = Guid.NewGuid(), timestamp = Start.ToString("O"), values = new object[] { new { key = "state", value = "on" } } } },
        }, token);

        // A variable that does not coerce: GraphQL-over-HTTP answers 200 with an error naming the variable's field (application/json).
        Assert.True(status is System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.BadRequest, $"{status}");
        Assert.Equal(JsonValueKind.Null, body.TryGetProperty("data", out var data) ? data.ValueKind : JsonValueKind.Null);
        var message = body.GetProperty("errors")[0].GetProperty("message").GetString()!;
        Assert.Contains("value", message, StringComparison.Ordinal);
        Assert.DoesNotContain("at IotAspire", body.ToString(), StringComparison.Ordinal);
    }
}
