using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.LiveUpdates;

/// <summary>
/// The AppHost with two API replicas and two token-service replicas (<c>Api:Replicas=2</c>, <c>Auth:Replicas=2</c>)
/// behind Aspire's proxy: both start on one database,
/// and a batch stored through either reaches subscribers on both, because it travels through PostgreSQL. Its
/// access tokens live 30 s, so a connection's close at its token's expiry is seen here too.
/// </summary>
public sealed class ReplicaTests(ReplicaTests.TwoReplicas fixture) : IClassFixture<ReplicaTests.TwoReplicas>
{
    private const int Replicas = 2;

    /// <summary>Access tokens that expire within the test, to see a connection closed at its token's expiry.</summary>
    private static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromSeconds(30);

    /// <summary>One AppHost with two replicas of each service for the class: each test makes its own customer, and
    /// starting two replicas of each takes longer than any of the tests.</summary>
    public sealed class TwoReplicas : IAsyncLifetime
    {
        public RunningAppHost? AppHost { get; private set; }

        public async Task InitializeAsync() =>
            AppHost = await RunningAppHost.StartAsync(RunningAppHost.NewDataDirectory(), [$"Api:Replicas={Replicas}", $"Auth:Replicas={Replicas}"],
                builder => builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.Auth))
                    .WithEnvironment("Tokens__AccessTokenLifetime", AccessTokenLifetime.ToString()),
                ResourceNames.Auth, ResourceNames.Api);

        public async Task DisposeAsync()
        {
            if (AppHost is not null)
            {
                await AppHost.DisposeAsync();
                await RunningAppHost.DeleteDataAsync(AppHost.DataDirectory);
            }
        }
    }

    private readonly RunningAppHost appHost = fixture.AppHost!;

    [Fact]
    public async Task A_batch_stored_through_one_replica_reaches_subscribers_on_both()
    {
        var auth = new TokenServiceClient(appHost);
        var (customer, customerId) = await auth.NewCustomerAsync();

        // Each replica's own address (Aspire's proxy on the API's port would pick one per connection), once
        // both run. Both starting on a new database is part of the test: they migrate one at a time.
        var urls = await ReplicaUrlsAsync(ResourceNames.Api);
        var clients = new List<GraphQLWebSocketClient>();
        try
        {
            var servedBy = new List<string>();
            foreach (var url in urls)
            {
                var client = await ConnectWhenListeningAsync(new UriBuilder(url) { Scheme = "ws", Path = "/graphql" }.Uri);
                clients.Add(client);
                servedBy.Add((await client.InitAsync(customer)).GetProperty("replica").GetString()!);
                await client.SubscribeAsync("s", GraphQLDocuments.ReadingsIngested);
            }

            Assert.Equal(2, servedBy.Distinct().Count());
            await Task.Delay(500);

            // One batch stored through each replica: each subscriber receives both, one of them from the other replica.
            var device = Guid.NewGuid();
            for (var i = 0; i < urls.Length; i++)
            {
                using var http = new HttpClient { BaseAddress = urls[i] };
                using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
                {
                    Content = System.Net.Http.Json.JsonContent.Create(new
                    {
                        query = GraphQLDocuments.Ingest,
                        variables = new { readings = new[] { new { timestamp = $"2022-01-01T00:0{i}:00Z", reading = (double)i, deviceId = device } } },
                    }),
                };
                var (status, body) = await http.SendAsync(request, customer);
                Assert.True(status == System.Net.HttpStatusCode.OK && !body.TryGetProperty("errors", out _), body.ToString());
            }

            foreach (var client in clients)
            {
                var received = new List<double>();
                for (var i = 0; i < urls.Length; i++)
                {
                    var reading = (await client.ReceiveForAsync("s")).GetProperty("payload").GetProperty("data").GetProperty("readingsIngested")[0];
                    Assert.Equal((customerId, device), (reading.GetProperty("customerId").GetGuid(), reading.GetProperty("deviceId").GetGuid()));
                    received.Add(reading.GetProperty("reading").GetDouble());
                }

                Assert.Equal([0.0, 1.0], received.Order());
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_alert_is_recorded_once_with_both_replicas_evaluating_and_reaches_subscribers_on_both()
    {
        var auth = new TokenServiceClient(appHost);
        var (customer, _) = await auth.NewCustomerAsync();
        var urls = await ReplicaUrlsAsync(ResourceNames.Api);
        var clients = new List<GraphQLWebSocketClient>();
        try
        {
            foreach (var url in urls)
            {
                var client = await ConnectWhenListeningAsync(new UriBuilder(url) { Scheme = "ws", Path = "/graphql" }.Uri);
                clients.Add(client);
                await client.InitAsync(customer);
                await client.SubscribeAsync("a", "subscription { alertChanged { ruleId state at } }");
            }

            // Both replicas run the evaluator; three readings above at once: one change, recorded once.
            var graphQL = new GraphQLClient(appHost);
            var device = Guid.NewGuid();
            await graphQL.DataAsync("mutation($d: UUID!) { createAlertRule(deviceId: $d, kind: ABOVE, minutes: 0, threshold: 10) { id } }", new { d = device }, customer);
            await Task.Delay(500);
            await graphQL.DataAsync(GraphQLDocuments.Ingest, new
            {
                readings = Enumerable.Range(0, 3).Select(i => new { timestamp = $"2022-02-01T00:0{i}:00Z", reading = 20.0 + i, deviceId = device }),
            }, customer);

            foreach (var client in clients)
            {
                var change = (await client.ReceiveForAsync("a")).GetProperty("payload").GetProperty("data").GetProperty("alertChanged");
                Assert.Equal(("RAISED", DateTimeOffset.Parse("2022-02-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)),
                    (change.GetProperty("state").GetString(), change.GetProperty("at").GetDateTimeOffset()));
            }

            await Task.Delay(3000);   // several passes of both replicas
            foreach (var client in clients)
            {
                Assert.Null(await client.TryReceiveAsync(TimeSpan.FromMilliseconds(300)));
            }

            Assert.Equal(1, (await graphQL.DataAsync("{ alerts { id } }", null, customer)).GetProperty("alerts").GetArrayLength());
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Tokens_signed_by_either_token_service_replica_are_accepted_by_the_api_and_published_by_both()
    {
        // Both replicas started on a new accounts database and a new key ring at once: each may have added a signing
        // key, and both must publish every key that signs.
        var urls = await ReplicaUrlsAsync(ResourceNames.Auth);
        var graphQL = new GraphQLClient(appHost);
        var customerId = Guid.NewGuid();
        var userName = await new TokenServiceClient(appHost).CreateCustomerAsync(customerId, TokenServiceClient.CustomerPassword);
        var published = new List<HashSet<string>>();
        foreach (var url in urls)
        {
            using var http = new HttpClient { BaseAddress = url };
            var (status, body) = await SendWhenListeningAsync(http, () => new HttpRequestMessage(HttpMethod.Post, "/api/token/")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { username = userName, password = TokenServiceClient.CustomerPassword }),
            });
            Assert.True(status == System.Net.HttpStatusCode.OK, $"{url}: {(int)status} {body}");
            var access = body.GetProperty("access").GetString()!;
            var devices = await graphQL.DataAsync("{ devices { id } }", null, access);
            Assert.Equal(System.Text.Json.JsonValueKind.Array, devices.GetProperty("devices").ValueKind);

            var (_, keys) = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json"), null);
            published.Add([.. keys.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)]);
        }

        Assert.Equal(published[0].Order(), published[1].Order());
    }

    /// <summary>Each replica's own address, once every replica of the resource runs healthy (Aspire's proxy on the shared port picks one per connection).</summary>
    private async Task<Uri[]> ReplicaUrlsAsync(string resource)
    {
        var replicas = new Dictionary<string, (string State, Uri? Url)>();
        using var allUp = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await foreach (var e in appHost.App.ResourceNotifications.WatchAsync(allUp.Token))
            {
                if (e.Resource.Name == resource)
                {
                    var url = e.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value;
                    replicas[e.ResourceId] = ($"{e.Snapshot.State?.Text} {e.Snapshot.HealthStatus}", url is null ? null : new Uri(url.Split(';')[0]));
                    if (replicas.Count == Replicas && replicas.Values.All(r => r.State == "Running Healthy" && r.Url is not null))
                    {
                        return [.. replicas.Values.Select(r => r.Url!)];
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Fail($"{Replicas} healthy {resource} replicas: " + string.Join("; ", replicas.Select(r => $"{r.Key}: {r.Value}")));
        return [];
    }

    /// <summary>A replica's health is checked through the proxy (any replica answers): it may not listen yet.</summary>
    private static async Task<(System.Net.HttpStatusCode Status, System.Text.Json.JsonElement Body)> SendWhenListeningAsync(HttpClient http, Func<HttpRequestMessage> request)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await http.SendAsync(request(), null);
            }
            catch (HttpRequestException) when (attempt < 120)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>A replica's health is checked through the proxy (any replica answers): it may not listen yet.</summary>
    private static async Task<GraphQLWebSocketClient> ConnectWhenListeningAsync(Uri endpoint)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await GraphQLWebSocketClient.ConnectAsync(endpoint);
            }
            catch (System.Net.WebSockets.WebSocketException) when (attempt < 120)
            {
                await Task.Delay(500);
            }
        }
    }

    [Fact]
    public async Task A_connection_is_closed_when_its_access_token_expires()
    {
        var (customer, _) = await new TokenServiceClient(appHost).NewCustomerAsync();
        var (client, ack) = await GraphQLWebSocketClient.SignedInAsync(appHost, customer);
        await using var _ = client;
        var expiresAt = ack.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), AccessTokenLifetime + TimeSpan.FromSeconds(1));
        await client.SubscribeAsync("s", GraphQLDocuments.ReadingsIngested);

        var (status, reason) = await client.ReceiveCloseAsync(AccessTokenLifetime + TimeSpan.FromSeconds(15));
        Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus)4403, status);
        Assert.Contains("expired", reason);
        Assert.True(DateTimeOffset.UtcNow >= expiresAt, "closed before the token expired");
    }
}
