using System.Text;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Fuzz;

/// <summary>
/// Thousands of random and mutated requests to both services (bodies, headers, query strings, GraphQL
/// documents and variables): never a 5xx, never a stack trace, both services healthy afterwards, and no
/// other customer's rows changed. Seeded, so a failure replays.
/// </summary>
[Collection(SecondAppHostCollection.Name)]
public sealed class RequestFuzzTests(SecondAppHostFixture fixture)
{
    private const int ApiRequests = 2_000;
    private const int AuthRequests = 600;

    // Ids of the fuzz's own (no test or sample data uses them): a mutated ingest that still parses claims only these.
    private static readonly string[] GraphQLSeeds =
    [
        GraphQLDocuments.Ingest,
        GraphQLDocuments.Aggregates,
        GraphQLDocuments.Devices,
        "{ devices { id customerId firstReadingAt lastReadingAt readingCount } }",
        "query($f: DateTime, $t: DateTime) { deviceAggregates(from: $f, to: $t, aggregationSizeMinutes: 60) { deviceId aggregatedValues { from value } } }",
        "{ __schema { types { name fields { name } } } }",
        "mutation { ingestReadings(readings: [{ timestamp: \"2022-05-01T00:00:00Z\", reading: 1.5, deviceId: \"f0220000-0000-4000-8000-00000000f022\" }]) { inserted } }",
    ];

    private static readonly string[] JsonSeeds =
    [
        """{"query":"{ devices { id } }"}""",
        """{"query":"query($c: UUID) { devices(customerId: $c) { id } }","variables":{"c":"f0220000-0000-4000-8000-0000000c0c0c"}}""",
        """{"query":"mutation Ingest($readings: [ReadingInput!]!) { ingestReadings(readings: $readings) { inserted } }","variables":{"readings":[{"timestamp":"2022-05-01T00:00:00Z","reading":1,"deviceId":"f0220000-0000-4000-8000-00000000f022"}]}}""",
        """{"username":"admin","password":"x"}""",
        """{"refresh":"abc"}""",
        """{"token":"abc"}""",
        """{"username":"fuzz-user","password":"Fuzz-Pass-123","customerId":"f0220000-0000-4000-8000-0000000c0c0c","role":"customer"}""",
        """{"isActive":false,"password":"x","customerId":null,"role":"admin"}""",
    ];

    private static readonly string[] Tokens = ["\u0000", "\uFFFF", "\\u0000", "\"", "{", "}", "[", "]", "$", "...", "null", "1e309", "-0", "\uD800", "%00", "'; DROP TABLE readings; --", new string('a', 5000), "9999-12-31T23:59:59.9999999Z", "0001-01-01T00:00:00Z", "NaN"];

    [Fact]
    public async Task Random_and_mutated_requests_never_get_a_5xx_or_a_stack_trace_and_change_no_other_customers_rows()
    {
        var auth = new TokenServiceClient(fixture.AppHost);
        var fuzzCustomer = Guid.NewGuid();
        var customer = (await auth.TokensAsync(await auth.CreateCustomerAsync(fuzzCustomer, TokenServiceClient.CustomerPassword, "fuzz"), TokenServiceClient.CustomerPassword)).Access;
        var admin = await auth.AdminAccessTokenAsync();
        var othersBefore = await RowsOfOtherCustomersAsync(fuzzCustomer);
        using var api = fixture.AppHost.CreateHttpClient(ResourceNames.Api);
        using var tokenService = fixture.AppHost.CreateHttpClient(ResourceNames.Auth);
        var random = new Random(7_2026_11_28);
        var failures = new List<string>();

        for (var i = 0; i < ApiRequests; i++)
        {
            using var request = random.Next(4) switch
            {
                0 => Post("/graphql", Mutate(random, Json(random.Next(2) == 0 ? Pick(random, GraphQLSeeds) : Mutate(random, Pick(random, GraphQLSeeds)))), random),
                1 => Post("/graphql", Mutate(random, Pick(random, JsonSeeds)), random),
                2 => new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(Mutate(random, Pick(random, GraphQLSeeds)))
                    + (random.Next(3) == 0 ? "&variables=" + Uri.EscapeDataString(Mutate(random, "{\"c\":\"x\"}")) : "")),
                _ => new HttpRequestMessage(random.Next(2) == 0 ? HttpMethod.Get : HttpMethod.Post, Pick(random, ["/api/whoami", "/graphql", "/graphql/", "/", "/graphql/schema.graphql"]))
                {
                    Content = random.Next(2) == 0 ? null : new ByteArrayContent(RandomBytes(random)),
                },
            };
            AddHeaders(request, random, random.Next(6) == 0 ? null : customer);
            await SendAsync(api, request, failures);
        }

        for (var i = 0; i < AuthRequests; i++)
        {
            var path = Pick(random, ["/api/token", "/api/token/", "/api/token/refresh", "/api/token/verify", "/api/users", "/api/users/" + Uri.EscapeDataString(Mutate(random, "fuzz-user")), "/admin/login", "/.well-known/jwks.json"]);
            using var request = new HttpRequestMessage(Pick(random, [HttpMethod.Post, HttpMethod.Get, HttpMethod.Patch, HttpMethod.Delete]), path)
            {
                Content = new StringContent(Mutate(random, Pick(random, JsonSeeds)), Encoding.UTF8, Pick(random, ["application/json", "text/plain", "application/x-www-form-urlencoded"])),
            };
            AddHeaders(request, random, random.Next(3) == 0 ? admin : null);
            await SendAsync(tokenService, request, failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} bad answers, e.g.:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(5))}");
        Assert.Equal("Healthy", await api.GetStringAsync("/health"));
        Assert.Equal("Healthy", await tokenService.GetStringAsync("/health"));
        Assert.Equal(othersBefore, await RowsOfOtherCustomersAsync(fuzzCustomer));

        // The sign-in rate limit was spent on purpose; let it refill for the tests that follow.
        await Task.Delay(TimeSpan.FromSeconds(1 + RunningAppHost.SignInBurst / RunningAppHost.SignInRefillPerSecond));
    }

    private static async Task SendAsync(HttpClient http, HttpRequestMessage request, List<string> failures)
    {
        var described = $"{request.Method} {request.RequestUri} {(request.Content is null ? "" : Truncate(await request.Content.ReadAsStringAsync()))}";
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode >= 500 || body.Contains("   at ", StringComparison.Ordinal) || body.Contains("Exception:", StringComparison.Ordinal))
        {
            failures.Add($"{(int)response.StatusCode} for {described}: {Truncate(body)}");
        }
    }

    private static HttpRequestMessage Post(string path, string body, Random random) => new(HttpMethod.Post, path)
    {
        Content = new StringContent(body, Encoding.UTF8, random.Next(10) == 0 ? "text/plain" : "application/json"),
    };

    private static void AddHeaders(HttpRequestMessage request, Random random, string? token)
    {
        if (token is not null)
        {
            // Header values travel as ASCII; the client itself refuses anything else.
            var value = random.Next(8) == 0 ? new string(Mutate(random, token).Where(c => c is >= ' ' and < (char)127).ToArray()) : token;
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + value);
        }

        if (random.Next(4) == 0)
        {
            request.Headers.TryAddWithoutValidation("Accept", Pick(random, ["application/graphql-response+json", "*/*", "text/html", "application/json;q=0.1, garbage", ";;;"]));
        }
    }

    /// <summary>One to three edits: insert a nasty token, delete a span, duplicate a span, or flip a character.</summary>
    private static string Mutate(Random random, string text)
    {
        for (var edits = random.Next(1, 4); edits > 0 && text.Length > 0; edits--)
        {
            var at = random.Next(text.Length);
            text = random.Next(4) switch
            {
                0 => text.Insert(at, Pick(random, Tokens)),
                1 => text.Remove(at, Math.Min(random.Next(1, 20), text.Length - at)),
                2 => text.Insert(at, text.Substring(at, Math.Min(random.Next(1, 40), text.Length - at))),
                _ => text[..at] + (char)random.Next(32, 127) + text[(at + 1)..],
            };
        }

        return text;
    }

    private static string Json(string query) => System.Text.Json.JsonSerializer.Serialize(new { query });

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 2_000)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private async Task<long> RowsOfOtherCustomersAsync(Guid fuzzCustomer)
    {
        await using var connection = new NpgsqlConnection(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM readings WHERE customer_id <> $1) * 1000000 + (SELECT count(*) FROM devices WHERE customer_id <> $1)", connection)
        {
            Parameters = { new() { Value = fuzzCustomer } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
