using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Isolation;

/// <summary>
/// Generated attacks between customers: random pairs, every query and mutation with every argument a caller
/// can send (another's customerId, another's deviceIds, aliases, several operations, variables). None may
/// return, count, change or reveal the victim's data; the victim's view is the same before and after.
/// </summary>
[Collection(AppHostCollection.Name)]
public class TenantIsolationTests(AppHostFixture fixture)
{
    private const int Customers = 4;
    private const int DevicesEach = 3;
    private const int Cases = 400;
    private const int ExportCases = 40;
    private const string From = "2022-04-01T00:00:00Z";
    private const string To = "2022-04-02T00:00:00Z";

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private sealed record Tenant(Guid CustomerId, string Token, Guid[] Devices, double Marker, Guid DeviceTokenId = default, Guid AlertRuleId = default);

    [Fact]
    public async Task Hundreds_of_generated_cross_customer_requests_never_touch_the_other_customers_data()
    {
        var tenants = new List<Tenant>();
        for (var i = 0; i < Customers; i++)
        {
            var customerId = Guid.NewGuid();
            var token = (await auth.TokensAsync(await auth.CreateCustomerAsync(customerId, TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword)).Access;
            // A reading value no other tenant has, so it shows if it ever leaks into another's answer.
            var tenant = new Tenant(customerId, token, Enumerable.Range(0, DevicesEach).Select(_ => Guid.NewGuid()).ToArray(), 7000 + i + 0.4321);
            var readings = tenant.Devices.SelectMany(device => Enumerable.Range(0, 5).Select(m => new
            {
                timestamp = DateTimeOffset.Parse(From, System.Globalization.CultureInfo.InvariantCulture).AddMinutes(m).ToString("O"),
                reading = tenant.Marker,
                deviceId = device,
            }));
            // An alert rule that its readings raise at once (every reading is its marker, above 7000): its history and
            // messages hold the marker too.
            var rule = await graphQL.DataAsync("mutation($d: UUID!) { createAlertRule(deviceId: $d, kind: ABOVE, minutes: 0, threshold: 7000) { id } }", new { d = tenant.Devices[1] }, token);
            await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings }, token);
            // Every tenant names and tags a device alike and sends it a key of its marker: names, tags, keys and groups
            // must keep them apart all the same.
            await graphQL.DataAsync("mutation($m: [MessageInput!]!) { ingestMessages(messages: $m) { inserted } }", new
            {
                m = new[] { new { deviceId = tenant.Devices[2], timestamp = From, values = new[] { new { key = "power", value = tenant.Marker } } } },
            }, token);
            await graphQL.DataAsync("mutation($d: UUID!) { setDeviceAttributes(deviceId: $d, name: \"meter\", tags: [{name: \"site\", value: \"shared\"}]) { id } }", new { d = tenant.Devices[2] }, token);
            var deviceToken = await graphQL.DataAsync(GraphQLDocuments.CreateDeviceToken, new { d = tenant.Devices[0] }, token);
            tenants.Add(tenant with
            {
                DeviceTokenId = deviceToken.GetProperty("createDeviceToken").GetProperty("deviceToken").GetProperty("id").GetGuid(),
                AlertRuleId = rule.GetProperty("createAlertRule").GetProperty("id").GetGuid(),
            });
        }

        var before = new Dictionary<Guid, string>();
        foreach (var tenant in tenants)
        {
            before[tenant.CustomerId] = await ViewAsync(tenant);
        }

        var random = new Random(20261128);
        var failures = new List<string>();
        for (var i = 0; i < Cases; i++)
        {
            var attacker = tenants[random.Next(Customers)];
            var victim = tenants.Where(t => t != attacker).ElementAt(random.Next(Customers - 1));
            var (name, query, variables) = Attack(random, attacker, victim);
            var (_, body) = await graphQL.PostAsync(query, variables, attacker.Token);
            var text = body.ToString();

            // The answer's data holds nothing of the victim's, whatever the attacker sent; error messages may
            // repeat only ids the attacker itself sent, never the victim's readings or other devices.
            var data = body.TryGetProperty("data", out var d) ? d.ToString() : "";
            var leaked = victim.Devices.Any(device => data.Contains(device.ToString(), StringComparison.OrdinalIgnoreCase))
                || data.Contains(victim.CustomerId.ToString(), StringComparison.OrdinalIgnoreCase)
                || (data.Contains(victim.DeviceTokenId.ToString(), StringComparison.OrdinalIgnoreCase) && !JsonSerializer.Serialize(variables).Contains(victim.DeviceTokenId.ToString(), StringComparison.OrdinalIgnoreCase))
                || text.Contains(victim.Marker.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                || victim.Devices.Any(device => text.Contains(device.ToString(), StringComparison.OrdinalIgnoreCase) && !query.Contains(device.ToString(), StringComparison.OrdinalIgnoreCase)
                    && !JsonSerializer.Serialize(variables).Contains(device.ToString(), StringComparison.OrdinalIgnoreCase));
            if (leaked)
            {
                failures.Add($"case {i} ({name}): {text}");
            }
        }

        // The export (GET /api/export), raw and bucketed, as CSV and Parquet, asked for the victim's devices (alone and
        // mixed with own) and customer: an answer holds none of the victim's ids or readings, or is refused.
        for (var i = 0; i < ExportCases; i++)
        {
            var attacker = tenants[random.Next(Customers)];
            var victim = tenants.Where(t => t != attacker).ElementAt(random.Next(Customers - 1));
            var victimDevice = victim.Devices[random.Next(DevicesEach)];
            var query = random.Next(5) switch
            {
                0 => $"deviceIds={victimDevice}",
                1 => $"deviceIds={attacker.Devices[0]},{victimDevice}&from={From}&to={To}",
                2 => $"customerId={victim.CustomerId}",
                3 => $"deviceIds={victimDevice}&aggregationSizeMinutes=60&functions=mean,max,p50&from={From}&to={To}",
                _ => $"deviceIds={attacker.Devices[1]},{victimDevice}&format=parquet",
            };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/export?" + query);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", attacker.Token);
            using var response = await graphQL.Http.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var text = System.Text.Encoding.UTF8.GetString(bytes);
            var answered = text.Replace(victimDevice.ToString(), "", StringComparison.OrdinalIgnoreCase).Replace(victim.CustomerId.ToString(), "", StringComparison.OrdinalIgnoreCase);
            // Ids the attacker sent may come back in an error message; nothing else of the victim's may appear.
            var leaked = (response.IsSuccessStatusCode && (text.Contains(victimDevice.ToString(), StringComparison.OrdinalIgnoreCase) || text.Contains(victim.CustomerId.ToString(), StringComparison.OrdinalIgnoreCase)))
                || victim.Devices.Any(d => answered.Contains(d.ToString(), StringComparison.OrdinalIgnoreCase))
                || text.Contains(victim.Marker.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                || (query.Contains("parquet", StringComparison.Ordinal) && ContainsDouble(bytes, victim.Marker));
            if (leaked)
            {
                failures.Add($"export case {i} ({query}): {(int)response.StatusCode} {text[..Math.Min(text.Length, 300)]}");
            }
        }

        foreach (var tenant in tenants)
        {
            Assert.Equal(before[tenant.CustomerId], await ViewAsync(tenant));
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(5)));

        // A group never counts another customer's device, however alike it is named and tagged: each tenant's group
        // "shared" is its one device, and its maximum is its own marker.
        foreach (var tenant in tenants)
        {
            var group = (await graphQL.DataAsync($"{{ groupAggregates(key: \"power\", groupBy: \"site\", from: \"{From}\", to: \"{To}\", aggregationSizeMinutes: 1440) {{ group deviceCount aggregatedValues {{ max count }} }} }}", null, tenant.Token))
                .GetProperty("groupAggregates");
            var shared = Assert.Single(group.EnumerateArray());
            Assert.Equal(("shared", 1), (shared.GetProperty("group").GetString(), shared.GetProperty("deviceCount").GetInt32()));
            Assert.Equal(tenant.Marker, shared.GetProperty("aggregatedValues")[0].GetProperty("max").GetDouble());
        }

        // Every tenant's rule did raise: the history the attacks asked for held the victim's marker all along.
        foreach (var tenant in tenants)
        {
            var raised = 0;
            for (var wait = 0; wait < 50 && raised == 0; wait++)
            {
                raised = (await graphQL.DataAsync("{ alerts { reading } }", null, tenant.Token)).GetProperty("alerts").GetArrayLength();
                await Task.Delay(raised == 0 ? 200 : 0);
            }

            Assert.True(raised > 0, $"no alert was recorded for customer {tenant.CustomerId}");
        }
    }

    /// <summary>Everything a customer can see of itself: devices with counts, device tokens, alert rules, and the day's means.</summary>
    private async Task<string> ViewAsync(Tenant tenant)
    {
        var devices = await graphQL.DataAsync("{ devices { id customerId readingCount firstReadingAt lastReadingAt name tags { name value } keys } deviceTokens { id deviceId revokedAt } alertRules { id deviceId muted } latest { deviceId key timestamp value } }", null, tenant.Token);
        var aggregates = await graphQL.DataAsync(GraphQLDocuments.Aggregates, new { from = From, to = To, size = 60 }, tenant.Token);
        return devices.ToString() + aggregates.ToString();
    }

    /// <summary>Whether a reading value is in a binary file (a Parquet column stores doubles as their 8 little-endian bytes).</summary>
    private static bool ContainsDouble(byte[] file, double value) => file.AsSpan().IndexOf(BitConverter.GetBytes(value)) >= 0;

    /// <summary>A cursor as the API makes them (version 1, microseconds since 1970, the device) just before the day's first reading.</summary>
    private static string CursorOf(Guid device)
    {
        var bytes = new byte[25];
        bytes[0] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), (DateTimeOffset.Parse(From, System.Globalization.CultureInfo.InvariantCulture).AddSeconds(-1) - DateTimeOffset.UnixEpoch).Ticks / 10);
        device.TryWriteBytes(bytes.AsSpan(9), bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static (string Name, string Query, object? Variables) Attack(Random random, Tenant attacker, Tenant victim)
    {
        var victimDevice = victim.Devices[random.Next(DevicesEach)];
        var ownDevice = attacker.Devices[random.Next(DevicesEach)];
        var reading = new { timestamp = "2022-04-01T00:00:00Z", reading = 1.0, deviceId = victimDevice };
        return random.Next(35) switch
        {
            27 => ("latest of the victim's devices, with own", "query($ids: [UUID!]) { latest(deviceIds: $ids) { deviceId key value } }", new { ids = new[] { ownDevice, victimDevice } }),
            28 => ("latest of the victim's customer, by alias", $"{{ mine: latest {{ value }} theirs: latest(customerId: \"{victim.CustomerId}\") {{ deviceId key value }} }}", null),
            29 => ("groups of the victim's customer", $"{{ groupAggregates(key: \"power\", groupBy: \"site\", from: \"{From}\", to: \"{To}\", customerId: \"{victim.CustomerId}\") {{ group deviceCount aggregatedValues {{ mean max }} }} }}", null),
            30 => ("own groups of a tag the victim's device carries too", $"{{ groupAggregates(key: \"power\", groupBy: \"site\", from: \"{From}\", to: \"{To}\", tags: [{{name: \"site\", value: \"shared\"}}]) {{ group deviceCount aggregatedValues {{ mean max min }} }} }}", null),
            31 => ("name and tag the victim's device", "mutation($d: UUID!) { setDeviceAttributes(deviceId: $d, name: \"mine\", tags: [{name: \"site\", value: \"stolen\"}]) { id name } }", new { d = victimDevice }),
            32 => ("a message to the victim's device", "mutation($m: [MessageInput!]!) { ingestMessages(messages: $m) { inserted } }",
                new { m = new[] { new { deviceId = victimDevice, timestamp = From, values = new[] { new { key = "power", value = 1.0 } } } } }),
            33 => ("devices by the name and tag every tenant uses", "{ a: devices(name: \"meter\") { id name keys readingCount } b: devices(tags: [{name: \"site\", value: \"shared\"}]) { id tags { name value } } }", null),
            34 => ("a key of the victim's devices by tag and customer", $"{{ deviceAggregates(from: \"{From}\", to: \"{To}\", keys: [\"power\"], tags: [{{name: \"site\", value: \"shared\"}}], customerId: \"{victim.CustomerId}\") {{ deviceId key aggregatedValues {{ value }} }} }}", null),
            12 => ("device tokens of the victim's customer", "query($c: UUID) { deviceTokens(customerId: $c) { id deviceId customerId } }", new { c = victim.CustomerId }),
            13 => ("device tokens of the victim's device", "query($d: UUID) { deviceTokens(deviceId: $d) { id deviceId customerId } }", new { d = victimDevice }),
            14 => ("a device token for the victim's device", GraphQLDocuments.CreateDeviceToken, new { d = victimDevice }),
            15 => ("revoke the victim's device token", GraphQLDocuments.RevokeDeviceToken, new { id = victim.DeviceTokenId }),
            16 => ("aliases: own device tokens and the victim's", $"{{ mine: deviceTokens {{ id }} theirs: deviceTokens(customerId: \"{victim.CustomerId}\") {{ id deviceId }} }}", null),
            17 => ("readings-only functions in a time zone, filled, over own and victim's devices",
                "query($ids: [UUID!]) { deviceAggregates(from: \"" + From + "\", to: \"" + To + "\", deviceIds: $ids, aggregationSizeMinutes: 60, timeZone: \"Europe/Berlin\", fill: PREVIOUS) { deviceId customerId aggregatedValues { from value stddev first last p: percentile(p: 0.5) } } }",
                new { ids = new[] { ownDevice, victimDevice } }),
            18 => ("aliases: own percentiles and the victim's customer's in a half-hour zone",
                $"{{ mine: deviceAggregates(from: \"{From}\", to: \"{To}\") {{ aggregatedValues {{ p: percentile(p: 1) }} }} theirs: deviceAggregates(from: \"{From}\", to: \"{To}\", customerId: \"{victim.CustomerId}\", timeZone: \"Asia/Kolkata\", aggregationSizeMinutes: 1440) {{ deviceId aggregatedValues {{ first last min: percentile(p: 0) }} }} }}", null),
            19 => ("raw readings of the victim's deviceIds, with own", "query($ids: [UUID!]) { readings(deviceIds: $ids, first: 50) { edges { cursor node { deviceId customerId reading } } pageInfo { endCursor } } }",
                new { ids = new[] { ownDevice, victimDevice } }),
            20 => ("aliases: own raw readings and the victim's customer's", $"{{ mine: readings(first: 3) {{ edges {{ node {{ reading }} }} }} theirs: readings(customerId: \"{victim.CustomerId}\") {{ edges {{ node {{ deviceId reading }} }} }} }}", null),
            21 => ("raw readings after a cursor of the victim's device", "query($after: String) { readings(after: $after) { edges { node { deviceId customerId reading } } } }",
                new { after = CursorOf(victimDevice) }),
            22 => ("alert rules and history of the victim's customer", "query($c: UUID) { alertRules(customerId: $c) { id deviceId customerId } alerts(customerId: $c) { deviceId customerId reading message } }", new { c = victim.CustomerId }),
            23 => ("alert history of the victim's devices, with own", "query($ids: [UUID!]) { alerts(deviceIds: $ids) { deviceId customerId reading message } }", new { ids = new[] { ownDevice, victimDevice } }),
            24 => ("mute and delete the victim's alert rule", "mutation($id: UUID!) { a: muteAlertRule(id: $id) { id deviceId } b: deleteAlertRule(id: $id) }", new { id = victim.AlertRuleId }),
            25 => ("an alert rule on the victim's device", "mutation($d: UUID!) { createAlertRule(deviceId: $d, kind: NO_DATA, minutes: 1) { id deviceId customerId } }", new { d = victimDevice }),
            26 => ("the victim's webhook and deliveries, by alias", $"{{ mine: alertDeliveries {{ id }} hook: alertWebhook(customerId: \"{victim.CustomerId}\") {{ url }} theirs: alertDeliveries(customerId: \"{victim.CustomerId}\") {{ alertId url }} }}", null),
            0 => ("aggregates of the victim's customerId", $"{{ deviceAggregates(from: \"{From}\", to: \"{To}\", customerId: \"{victim.CustomerId}\") {{ deviceId customerId aggregatedValues {{ value }} }} }}", null),
            1 => ("aggregates of the victim's deviceIds", "query($ids: [UUID!]) { deviceAggregates(from: \"" + From + "\", to: \"" + To + "\", deviceIds: $ids) { deviceId aggregatedValues { value } } }",
                new { ids = victim.Devices }),
            2 => ("devices of the victim's customerId", "query($c: UUID) { devices(customerId: $c) { id customerId readingCount } }", new { c = victim.CustomerId }),
            3 => ("aliases: own and victim's", $"{{ mine: devices {{ id readingCount }} theirs: devices(customerId: \"{victim.CustomerId}\") {{ id readingCount }} }}", null),
            4 => ("ingest to the victim's device", GraphQLDocuments.Ingest, new { readings = new[] { reading } }),
            5 => ("ingest naming the victim's customer", GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = "2022-04-01T00:00:00Z", reading = 2.0, deviceId = ownDevice, customerId = victim.CustomerId } } }),
            6 => ("ingest: own reading then the victim's device", GraphQLDocuments.Ingest,
                new { readings = new object[] { new { timestamp = "2022-04-01T03:00:00Z", reading = 3.0, deviceId = ownDevice }, reading } }),
            7 => ("several operations, the victim's selected", $"query Mine {{ devices {{ id }} }} query Theirs {{ devices(customerId: \"{victim.CustomerId}\") {{ id }} }}", null),
            8 => ("aggregates: mixed own and victim's devices", "query($ids: [UUID!]) { deviceAggregates(from: \"" + From + "\", to: \"" + To + "\", deviceIds: $ids) { deviceId customerId aggregatedValues { from value } } }",
                new { ids = new[] { ownDevice, victimDevice } }),
            9 => ("aliases: two aggregates, one for the victim", "query($c: UUID) { a: deviceAggregates(from: \"" + From + "\", to: \"" + To + "\") { deviceId } b: deviceAggregates(from: \"" + From + "\", to: \"" + To + "\", customerId: $c) { deviceId aggregatedValues { value } } }",
                new { c = victim.CustomerId }),
            10 => ("fragments over the victim's customer", $"{{ ...F }} fragment F on Query {{ devices(customerId: \"{victim.CustomerId}\") {{ id readingCount lastReadingAt }} }}", null),
            _ => ("variables: the victim's customer as a default", "query($c: UUID = \"" + victim.CustomerId + "\") { deviceAggregates(customerId: $c) { deviceId } devices(customerId: $c) { id } }", null),
        };
    }
}
