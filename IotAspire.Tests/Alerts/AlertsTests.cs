using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Alerts;

/// <summary>
/// Alerts through the running API: rules a customer creates, evaluated from committed readings; each change recorded
/// once (also when the same readings come again), in the history, on the customer's alertChanged subscription (never
/// another's), and POSTed signed to its webhook, retried after a failure; NO_DATA from the clock; bad rules and
/// webhook URLs refused by name.
/// </summary>
[Collection(SecondAppHostCollection.Name)]
public class AlertsTests(SecondAppHostFixture fixture)
{
    private const string CreateRule = """
        mutation($d: UUID!, $k: AlertRuleKind!, $m: Int!, $t: Float, $n: String, $c: UUID) {
          createAlertRule(deviceId: $d, kind: $k, minutes: $m, threshold: $t, name: $n, customerId: $c) { id kind threshold minutes muted state } }
        """;

    private const string History = """
        query($d: [UUID!], $s: AlertChange) { alerts(deviceIds: $d, state: $s) { id ruleId deviceId customerId state at readingAt reading message } }
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private static object Batch(Guid device, params double[] values) =>
        new { readings = values.Select((v, i) => new { timestamp = Start.AddMinutes(i).ToString("O"), reading = v, deviceId = device }) };

    /// <summary>The history, once it holds at least <paramref name="count"/> changes (or the patience runs out).</summary>
    private async Task<JsonElement> HistoryAsync(string token, Guid device, int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var alerts = (await graphQL.DataAsync(History, new { d = new[] { device } }, token)).GetProperty("alerts");
            if (alerts.GetArrayLength() >= count || DateTime.UtcNow > deadline)
            {
                return alerts;
            }

            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_threshold_rule_raises_and_clears_once_each_on_the_history_the_subscription_and_the_signed_webhook()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var (otherToken, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        using var receiver = new WebhookReceiver(failFirst: 1);

        var webhook = (await graphQL.DataAsync("mutation($u: String!) { setAlertWebhook(url: $u) { url secret } }", new { u = receiver.Url }, token)).GetProperty("setAlertWebhook");
        var secret = webhook.GetProperty("secret").GetString()!;
        // At rest the secret is encrypted (the API's key ring is outside the database); the signatures below verify with it.
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase)))
        {
            var stored = (await Sql.ListAsync(dataSource, "SELECT secret FROM alert_webhooks WHERE customer_id = $1", r => r.GetString(0), customerId)).Single();
            Assert.StartsWith("dp1:", stored, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }

        var rule = (await graphQL.DataAsync(CreateRule, new { d = device, k = "ABOVE", m = 2, t = 50.0, n = "boiler hot" }, token)).GetProperty("createAlertRule");
        var ruleId = rule.GetProperty("id").GetGuid();
        Assert.Equal(JsonValueKind.Null, rule.GetProperty("state").ValueKind);

        var (own, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, token);
        var (other, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, otherToken);
        await using (own)
        await using (other)
        {
            const string Changed = "subscription($d: [UUID!], $c: UUID) { alertChanged(deviceIds: $d, customerId: $c) { ruleId deviceId customerId state at reading } }";
            await own.SubscribeAsync("mine", Changed);
            await other.SubscribeAsync("theirs", Changed, new { d = new[] { device } });
            await other.SubscribeAsync("named", Changed, new { c = customerId });

            // Minute 3 completes two minutes above 50 (from minute 1); minute 5 is not above.
            await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(device, 40, 60, 61, 62, 63, 50, 49), token);
            var alerts = await HistoryAsync(token, device, 2);
            Assert.Equal(["CLEARED@5:50", "RAISED@3:62"], alerts.EnumerateArray().Select(a =>
                $"{a.GetProperty("state").GetString()}@{(a.GetProperty("at").GetDateTimeOffset() - Start).TotalMinutes}:{a.GetProperty("reading").GetDouble()}"));
            Assert.All(alerts.EnumerateArray(), a => Assert.Equal(ruleId, a.GetProperty("ruleId").GetGuid()));
            Assert.Contains("boiler hot", alerts[1].GetProperty("message").GetString());

            var first = await own.ReceiveForAsync("mine");
            var second = await own.ReceiveForAsync("mine");
            Assert.Equal(["RAISED", "CLEARED"], new[] { first, second }.Select(m => m.GetProperty("payload").GetProperty("data").GetProperty("alertChanged").GetProperty("state").GetString()));

            // The other customer: its device filter sees nothing, naming the victim is refused.
            var refused = await other.ReceiveForAsync("named");
            Assert.Equal("error", refused.GetProperty("type").GetString());
            Assert.Contains("FORBIDDEN", refused.ToString());
            Assert.Null(await other.TryReceiveAsync(TimeSpan.FromSeconds(1)));

            // The same readings again, and a late reading that changes nothing: nothing recorded twice.
            await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(device, 40, 60, 61, 62, 63, 50, 49), token);
            await Task.Delay(3000);
            Assert.Equal(2, (await HistoryAsync(token, device, 0)).GetArrayLength());   // after the wait: what is recorded now
            Assert.Null(await own.TryReceiveAsync(TimeSpan.FromMilliseconds(500)));
        }

        // The webhook: the first attempt answered 500, then both delivered, each signed over its exact body.
        var deadline = DateTime.UtcNow + Patience;
        JsonElement deliveries;
        do
        {
            await Task.Delay(300);
            deliveries = (await graphQL.DataAsync("{ alertDeliveries { alertId status attempts lastStatusCode lastError } }", null, token)).GetProperty("alertDeliveries");
        }
        while (DateTime.UtcNow < deadline && !(deliveries.GetArrayLength() == 2 && deliveries.EnumerateArray().All(d => d.GetProperty("status").GetString() == "DELIVERED")));
        Assert.Equal(2, deliveries.GetArrayLength());
        Assert.All(deliveries.EnumerateArray(), d => Assert.Equal("DELIVERED", d.GetProperty("status").GetString()));
        Assert.Equal(3, deliveries.EnumerateArray().Sum(d => d.GetProperty("attempts").GetInt32()));
        Assert.Equal(3, receiver.Received.Count);
        foreach (var (body, signature) in receiver.Received)
        {
            var parts = signature.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(parts["t"] + "." + body));
            Assert.Equal(Convert.ToHexStringLower(mac), parts["v1"]);
            Assert.True(Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture)) < 120);
            Assert.Equal(customerId, JsonDocument.Parse(body).RootElement.GetProperty("alert").GetProperty("customerId").GetGuid());
        }

        // The rule's state, and the webhook read back without its secret.
        var rules = (await graphQL.DataAsync("{ alertRules { id state stateSince } alertWebhook { url secret } }", null, token));
        Assert.Equal("CLEARED", rules.GetProperty("alertRules")[0].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, rules.GetProperty("alertWebhook").GetProperty("secret").ValueKind);

        // Another customer cannot see, mute or delete the rule, nor read the history.
        Assert.Equal(0, (await graphQL.DataAsync("{ alertRules { id } }", null, otherToken)).GetProperty("alertRules").GetArrayLength());
        Assert.Equal(0, (await graphQL.DataAsync(History, new { d = new[] { device } }, otherToken)).GetProperty("alerts").GetArrayLength());
        var (_, mute) = await graphQL.PostAsync("mutation($id: UUID!) { muteAlertRule(id: $id) { id } }", new { id = ruleId }, otherToken);
        Assert.Contains("There is no alert rule", GraphQLClient.SingleError(mute).Message);
        var (_, delete) = await graphQL.PostAsync("mutation($id: UUID!) { deleteAlertRule(id: $id) }", new { id = ruleId }, otherToken);
        Assert.Contains("There is no alert rule", GraphQLClient.SingleError(delete).Message);
        var (_, foreignRule) = await graphQL.PostAsync(CreateRule, new { d = device, k = "BELOW", m = 1, t = 0.0 }, otherToken);
        Assert.Equal("FORBIDDEN", GraphQLClient.SingleError(foreignRule).Code);

        // Muted, the rule records nothing for new readings above.
        await graphQL.DataAsync("mutation($id: UUID!) { muteAlertRule(id: $id) { muted } }", new { id = ruleId }, token);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = Enumerable.Range(10, 5).Select(i => new { timestamp = Start.AddMinutes(i).ToString("O"), reading = 99.0, deviceId = device }) }, token);
        await Task.Delay(3000);
        Assert.Equal(2, (await HistoryAsync(token, device, 0)).GetArrayLength());   // after the wait: what is recorded now
    }

    [Fact]
    public async Task No_data_raises_for_a_silent_device_and_a_new_reading_clears_it()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var lastSent = Whole(DateTimeOffset.UtcNow.AddMinutes(-5));
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = lastSent.ToString("O"), reading = 1.0, deviceId = device } } }, token);
        await graphQL.DataAsync(CreateRule, new { d = device, k = "NO_DATA", m = 2 }, token);

        var raised = await HistoryAsync(token, device, 1);
        Assert.Equal("RAISED", raised[0].GetProperty("state").GetString());
        Assert.Equal(1.0, raised[0].GetProperty("reading").GetDouble());

        var now = Whole(DateTimeOffset.UtcNow);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = now.ToString("O"), reading = 2.0, deviceId = device } } }, token);
        var cleared = await HistoryAsync(token, device, 2);
        Assert.Equal(["CLEARED", "RAISED"], cleared.EnumerateArray().Select(a => a.GetProperty("state").GetString()));
        Assert.Equal(2.0, cleared[0].GetProperty("reading").GetDouble());
    }

    private static DateTimeOffset Whole(DateTimeOffset time) => time.AddTicks(-(time.UtcTicks % TimeSpan.TicksPerSecond));

    [Fact]
    public async Task A_late_reading_is_evaluated_in_reading_time()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        await graphQL.DataAsync(CreateRule, new { d = device, k = "RATE_OF_CHANGE", m = 5, t = 10.0 }, token);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(device, 1, 2, 3, 4, 5, 6), token);
        await Task.Delay(2500);
        Assert.Equal(0, (await HistoryAsync(token, device, 0)).GetArrayLength());

        // Arriving late, a jump of 50 at minute 2.5: raised there (50 - 2 over half a minute), cleared at minute 3 (3 - 1 over 3 min).
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = Start.AddMinutes(2.5).ToString("O"), reading = 50.0, deviceId = device } } }, token);
        var alerts = await HistoryAsync(token, device, 2);
        Assert.Equal(["CLEARED@3", "RAISED@2.5"], alerts.EnumerateArray().Select(a => $"{a.GetProperty("state").GetString()}@{(a.GetProperty("at").GetDateTimeOffset() - Start).TotalMinutes}"));
    }

    [Theory]
    [InlineData("""{ "k": "ABOVE", "m": 5 }""", "threshold must be a finite number")]
    [InlineData("""{ "k": "NO_DATA", "m": 5, "t": 3 }""", "threshold does not apply to NO_DATA")]
    [InlineData("""{ "k": "RATE_OF_CHANGE", "m": 0, "t": 3 }""", "minutes (the window) must be between 1")]
    [InlineData("""{ "k": "BELOW", "m": 99999, "t": 3 }""", "minutes must be between 0")]
    [InlineData("""{ "k": "ABOVE", "m": 1, "t": 3, "n": "boiler\u0000hot" }""", "Variable '$n' is invalid: The text contains a NUL character (at 6)")]
    [InlineData("""{ "k": "ABOVE", "m": 1, "t": 3, "n": "boiler\nhot" }""", "Variable '$n' is invalid: The text contains the control character U+000A (at 6)")]
    public async Task Bad_rules_get_BAD_USER_INPUT_naming_the_field(string variables, string message)
    {
        var (token, _) = await auth.NewCustomerAsync();
        var values = JsonSerializer.Deserialize<Dictionary<string, object>>(variables)!;
        values["d"] = Guid.NewGuid();
        var (_, body) = await graphQL.PostAsync(CreateRule, values, token);
        var error = GraphQLClient.SingleError(body);
        Assert.Equal("BAD_USER_INPUT", error.Code);
        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "a link-local or metadata address")]
    [InlineData("http://[fd00:ec2::254]/", "a cloud metadata address")]
    [InlineData("ftp://example.com/", "url must be an absolute http or https URL")]
    [InlineData("http://0.0.0.0:80/", "an unspecified (\"this network\") address")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/", "a NAT64 address carrying 169.254.169.254, a link-local or metadata address")]
    [InlineData("http://[::169.254.169.254]/", "an IPv4-compatible IPv6 address carrying 169.254.169.254")]
    [InlineData("http://[2002:a9fe:a9fe::1]/", "a 6to4 address carrying 169.254.169.254")]
    [InlineData("http://192.0.2.10/hook", "a documentation (TEST-NET-1) address")]
    [InlineData("http://198.18.0.1/hook", "a benchmarking address")]
    [InlineData("http://no-such-host.invalid/hook", "does not resolve")]
    public async Task Webhook_urls_that_could_reach_inside_are_refused(string url, string message)
    {
        var (token, _) = await auth.NewCustomerAsync();
        var (_, body) = await graphQL.PostAsync("mutation($u: String!) { setAlertWebhook(url: $u) { url } }", new { u = url }, token);
        var error = GraphQLClient.SingleError(body);
        Assert.Equal("BAD_USER_INPUT", error.Code);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task A_webhook_pointing_at_the_API_itself_is_refused()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var api = graphQL.Http.BaseAddress!;
        var (_, body) = await graphQL.PostAsync("mutation($u: String!) { setAlertWebhook(url: $u) { url } }", new { u = new Uri(api, "/graphql").AbsoluteUri }, token);
        Assert.Contains("is this API itself", GraphQLClient.SingleError(body).Message);
    }

    /// <summary>A webhook endpoint on loopback: records each body and signature; answers 500 to the first <c>failFirst</c>.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly HttpListener listener = new();
        private int failures;

        public WebhookReceiver(int failFirst)
        {
            failures = failFirst;
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/hooks/";
            listener.Prefixes.Add(Url);
            listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<(string Body, string Signature)> Received { get; } = new();

        private async Task LoopAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                Received.Enqueue((await reader.ReadToEndAsync(), context.Request.Headers["IotAspire-Signature"] ?? ""));
                context.Response.StatusCode = Interlocked.Decrement(ref failures) >= 0 ? 500 : 204;
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var socket = new TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }

        public void Dispose() => listener.Close();
    }
}
