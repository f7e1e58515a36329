using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using IotAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IotAspire.Tests.Accounts;

/// <summary>
/// Guessing tokens, as the issue tried it (300 unknown device tokens at once), on an AppHost of its own with a limit
/// small enough to meet (20 failures in 5 s), in the README's run (no proxy in front of the services): the guesses come
/// from 127.0.0.2 and a customer's requests from 127.0.0.1. Past the limit every request of the guessing address with a
/// token is refused with 429 and Retry-After before its token is looked at, the operator gets one warning naming the
/// address, the customer at its own address is never refused, and once the window ends a valid token works again.
/// Malformed (non-JWT) tokens count, and so do tokens in a WebSocket's <c>connection_init</c>. The token service counts
/// forged access tokens the same way, and a stranger's wrong passwords lock only the stranger out of sign-in.
/// </summary>
public sealed class ThrottledTokensTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Limit = 20;
    private const int Guesses = 300;
    private const string Attacker = "127.0.0.2";
    private const string Customer = "127.0.0.1";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Failed_token_attempts_past_the_limit_are_refused_with_429_for_that_address_only_logged_and_let_through_after_the_window()
    {
        var dataDirectory = RunningAppHost.NewDataDirectory();
        try
        {
            await using var appHost = await RunningAppHost.StartAsync(dataDirectory, [], builder =>
            {
                foreach (var service in builder.Resources.OfType<ProjectResource>())
                {
                    builder.CreateResourceBuilder(service)
                        .WithEnvironment("FailedTokenThrottling__MaxFailures", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture))
                        .WithEnvironment("FailedTokenThrottling__Window", Window.ToString());
                }
            }, ResourceNames.Auth, ResourceNames.Api);
            var warnings = Warnings(appHost, ResourceNames.Api);
            var tokens = new TokenServiceClient(appHost);
            var customerId = Guid.NewGuid();
            var userName = await tokens.CreateCustomerAsync(customerId, TokenServiceClient.CustomerPassword);
            var customerToken = (await tokens.TokensAsync(userName, TokenServiceClient.CustomerPassword)).Access;
            var apiEndpoint = appHost.App.GetEndpoint(ResourceNames.Api, "http");
            var authEndpoint = appHost.App.GetEndpoint(ResourceNames.Auth, "http");
            using var api = FromLoopbackAddress.Client(Attacker, apiEndpoint);
            using var apiFromCustomer = FromLoopbackAddress.Client(Customer, apiEndpoint);
            using var auth = FromLoopbackAddress.Client(Attacker, authEndpoint);
            using var authFromCustomer = FromLoopbackAddress.Client(Customer, authEndpoint);

            // 300 unknown device tokens, 10 at a time.
            var statuses = new List<(HttpStatusCode Status, string? RetryAfter, string Body)>();
            foreach (var chunk in Enumerable.Range(0, Guesses).Chunk(10))
            {
                statuses.AddRange(await Task.WhenAll(chunk.Select(_ => GraphQLAsync(api, UnknownDeviceToken()))));
            }

            var unauthorized = statuses.Count(s => s.Status == HttpStatusCode.Unauthorized);
            var throttled = statuses.Where(s => s.Status == HttpStatusCode.TooManyRequests).ToList();
            output.WriteLine($"{Guesses} unknown device tokens: {unauthorized} answered 401, {throttled.Count} 429");
            Assert.Equal(Guesses, unauthorized + throttled.Count);
            Assert.InRange(unauthorized, Limit, Limit + 10);   // those already past the check when the limit was met
            Assert.All(throttled, s =>
            {
                Assert.InRange(int.Parse(s.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, (int)Window.TotalSeconds);
                Assert.Contains("TOO_MANY_FAILED_TOKENS", s.Body, StringComparison.Ordinal);
            });

            // The guessing address is refused with a valid token too, until the window ends; the customer, at its own
            // address, never is (through a proxy both were 127.0.0.1, and the customer got 429).
            Assert.Equal(HttpStatusCode.TooManyRequests, (await GraphQLAsync(api, customerToken)).Status);
            Assert.Equal(HttpStatusCode.OK, (await GraphQLAsync(apiFromCustomer, customerToken)).Status);
            var line = await WaitForAsync(warnings, l => l.Contains("Throttling", StringComparison.Ordinal));
            Assert.Contains(Attacker, line, StringComparison.Ordinal);
            Assert.Contains("failed token attempts (device token the last)", line, StringComparison.Ordinal);
            await Task.Delay(Window);
            Assert.Equal(HttpStatusCode.OK, (await GraphQLAsync(api, customerToken)).Status);

            // Malformed tokens (not a JWT, not a device token) count like any other.
            var malformed = new List<HttpStatusCode>();
            for (var i = 0; i < Limit + 5; i++)
            {
                malformed.Add((await GraphQLAsync(api, $"not-a-token-{i}")).Status);
            }

            Assert.Equal(Limit, malformed.Count(s => s == HttpStatusCode.Unauthorized));
            Assert.Equal(5, malformed.Count(s => s == HttpStatusCode.TooManyRequests));
            await Task.Delay(Window);

            // Tokens in connection_init count too; past the limit the socket is closed before its token is looked at.
            var wsEndpoint = GraphQLWebSocketClient.EndpointOf(appHost);
            using var wsHandler = FromLoopbackAddress.Handler(Attacker);
            using var invoker = new HttpMessageInvoker(wsHandler);
            var closes = new List<string?>();
            for (var i = 0; i < Limit + 1; i++)
            {
                await using var socket = await GraphQLWebSocketClient.ConnectAsync(wsEndpoint, invoker: invoker);
                await socket.SendAsync(new { type = "connection_init", payload = new { Authorization = $"Bearer forged-{i}" } });
                closes.Add((await socket.ReceiveCloseAsync()).Reason);
            }

            Assert.All(closes.Take(Limit), reason => Assert.Contains("the token is not valid", reason, StringComparison.Ordinal));
            Assert.Contains("too many requests with a token that was not valid", closes[^1], StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await GraphQLAsync(api, customerToken)).Status);   // HTTP and sockets share the count
            Assert.Equal(HttpStatusCode.OK, (await GraphQLAsync(apiFromCustomer, customerToken)).Status);

            // MQTT shares it as well: the throttled address is refused at connect even with a valid device token, the
            // customer's address is not; and bad device tokens over MQTT count, so HTTP from that address is refused after them.
            var deviceToken = (await new GraphQLClient(appHost).DataAsync(GraphQLDocuments.CreateDeviceToken, new { d = Guid.NewGuid() }, customerToken))
                .GetProperty("createDeviceToken").GetProperty("token").GetString()!;
            var quota = await Assert.ThrowsAsync<MqttConnectRefusedException>(() => MqttDevice.ConnectAsync(appHost, deviceToken, from: Attacker));
            Assert.Equal(MQTTnet.MqttClientConnectResultCode.QuotaExceeded, quota.ResultCode);
            await using (var fromCustomer = await MqttDevice.ConnectAsync(appHost, deviceToken, from: Customer))
            {
                Assert.True(fromCustomer.IsConnected);
            }

            const string mqttGuesser = "127.0.0.3";
            var mqttRefusals = new List<MQTTnet.MqttClientConnectResultCode>();
            for (var i = 0; i < Limit + 1; i++)
            {
                mqttRefusals.Add((await Assert.ThrowsAsync<MqttConnectRefusedException>(() => MqttDevice.ConnectAsync(appHost, UnknownDeviceToken(), from: mqttGuesser))).ResultCode);
            }

            Assert.All(mqttRefusals.Take(Limit), code => Assert.Equal(MQTTnet.MqttClientConnectResultCode.BadUserNameOrPassword, code));
            Assert.Equal(MQTTnet.MqttClientConnectResultCode.QuotaExceeded, mqttRefusals[^1]);
            using (var fromGuesser = FromLoopbackAddress.Client(mqttGuesser, apiEndpoint))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, (await GraphQLAsync(fromGuesser, customerToken)).Status);
            }

            // The token service counts forged access tokens the same way, per address.
            var forged = customerToken[..^4] + (customerToken[^4..] == "AAAA" ? "BBBB" : "AAAA");
            var atAuth = new List<HttpStatusCode>();
            for (var i = 0; i < Limit + 5; i++)
            {
                atAuth.Add(await UsersAsync(auth, forged));
            }

            Assert.Equal(Limit, atAuth.Count(s => s == HttpStatusCode.Unauthorized));
            Assert.Equal(5, atAuth.Count(s => s == HttpStatusCode.TooManyRequests));
            Assert.Equal(HttpStatusCode.OK, await UsersAsync(authFromCustomer, await tokens.AdminAccessTokenAsync()));

            // A stranger's wrong passwords lock only the stranger out: the customer signs in from its own address.
            for (var i = 0; i < 6; i++)
            {
                using var wrong = await auth.PostAsJsonAsync("/api/token/", new { username = userName, password = $"Wrong-{i}-password" });
                Assert.NotEqual(HttpStatusCode.OK, wrong.StatusCode);
            }

            using var stranger = await auth.PostAsJsonAsync("/api/token/", new { username = userName, password = TokenServiceClient.CustomerPassword });
            Assert.Equal(HttpStatusCode.TooManyRequests, stranger.StatusCode);   // even with the right password, from there
            using var own = await authFromCustomer.PostAsJsonAsync("/api/token/", new { username = userName, password = TokenServiceClient.CustomerPassword });
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }
        finally
        {
            await RunningAppHost.DeleteDataAsync(dataDirectory);
        }
    }

    private static async Task<HttpStatusCode> UsersAsync(HttpClient auth, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await auth.SendAsync(request);
        return response.StatusCode;
    }

    private static string UnknownDeviceToken() => "iotd_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<(HttpStatusCode Status, string? RetryAfter, string Body)> GraphQLAsync(HttpClient api, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query = "{ devices { id } }" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(request);
        return (response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync());
    }

    // A service's log lines from now on (its console, as the dashboard shows it).
    private static System.Collections.Concurrent.ConcurrentQueue<string> Warnings(RunningAppHost appHost, string service)
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var logs = appHost.App.Services.GetRequiredService<ResourceLoggerService>();
        var resource = appHost.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == service);
        _ = Task.Run(async () =>
        {
            await foreach (var batch in logs.WatchAsync(resource))
            {
                foreach (var line in batch)
                {
                    lines.Enqueue(line.Content);
                }
            }
        });
        return lines;
    }

    private static async Task<string> WaitForAsync(System.Collections.Concurrent.ConcurrentQueue<string> lines, Func<string, bool> match)
    {
        for (var waited = 0; waited < 100; waited++)
        {
            if (lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"no such log line among {lines.Count}");
    }
}
