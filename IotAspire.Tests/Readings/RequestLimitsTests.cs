using System.Net;
using System.Text;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Readings;

/// <summary>Hostile and careless requests through the running API: each refused with its limit, never a 500.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RequestLimitsTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task An_anonymous_12_MB_body_gets_401_without_being_parsed()
    {
        // The mechanism, not a time: the request announces 12 MB and sends 1 KB of it. An API that read the body
        // before looking at the token would wait for the rest (the read below would time out); ours answers at once.
        var api = graphQL.Http.BaseAddress!;
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(api.Host, api.Port);
        var stream = socket.GetStream();
        var head = $"POST /graphql HTTP/1.1\r\nHost: {api.Authority}\r\nContent-Type: application/json\r\nContent-Length: {12 * 1024 * 1024}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "{\"query\":\"{ devices { id } }\",\"variables\":{\"x\":\"" + new string('a', 1024)));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var response = new StringBuilder();
        var buffer = new byte[4096];
        while (!response.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || !response.ToString().Contains("UNAUTHENTICATED", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, $"the connection closed after: {response}");
            response.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        Assert.StartsWith("HTTP/1.1 401", response.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Sends a request whose body the server refuses before reading it all. The server answers and closes while the
    /// client still writes, which the client may see as a broken pipe before it reads the answer (a race of the
    /// transport, more likely on a loaded machine): such an attempt is made again, up to five times.
    /// </summary>
    private async Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> SendRefusedBodyAsync(Func<HttpRequestMessage> request, string token)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var message = request();
                return await graphQL.SendAsync(message, token);
            }
            catch (HttpRequestException e) when (attempt < 5 && e.InnerException is IOException)
            {
            }
        }
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_naming_the_limit_even_without_a_content_length()
    {
        var token = (await auth.NewCustomerAsync()).Token;
        var huge = "{\"query\":\"{ devices { id } }\",\"variables\":{\"x\":\"" + new string('a', 5 * 1024 * 1024) + "\"}}";

        var (status, body) = await SendRefusedBodyAsync(() => new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonBody(huge) }, token);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("at most 4194304 bytes", GraphQLClient.SingleError(body).Message);

        var (chunkedStatus, _) = await SendRefusedBodyAsync(() =>
        {
            var chunked = new HttpRequestMessage(HttpMethod.Post, "/graphql")
            {
                Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))) { Headers = { { "Content-Type", "application/json" } } },
            };
            chunked.Headers.TransferEncodingChunked = true;
            return chunked;
        }, token);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunkedStatus);
    }

    [Fact]
    public async Task A_document_over_the_length_limit_is_refused_naming_the_limit()
    {
        var token = (await auth.NewCustomerAsync()).Token;
        var padded = "{ devices { id } }\n#" + new string('x', 20_000);

        var (status, body) = await graphQL.PostAsync(padded, null, token);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("at most 16384 characters", GraphQLClient.SingleError(body).Message);
    }

    [Fact]
    public async Task Many_aliased_ingests_reusing_one_variable_are_refused_and_nothing_is_written()
    {
        var token = (await auth.NewCustomerAsync()).Token;
        var device = Guid.NewGuid();
        var readings = Enumerable.Range(0, 1_000)
            .Select(i => new { timestamp = new DateTimeOffset(2022, 3, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i).ToString("O"), reading = 1.0, deviceId = device })
            .ToArray();
        var aliases = string.Concat(Enumerable.Range(0, 3).Select(i => $" a{i}: ingestReadings(readings: $r) {{ inserted }}"));

        var (_, body) = await graphQL.PostAsync($"mutation($r: [ReadingInput!]!) {{{aliases} }}", new { r = readings }, token);

        Assert.Contains("one ingestReadings or ingestMessages, once", GraphQLClient.SingleError(body).Message);
        var devices = await graphQL.DataAsync(GraphQLDocuments.Devices, null, token);
        Assert.Equal(0, devices.GetProperty("devices").GetArrayLength());
    }

    [Theory]
    [InlineData("to: \"0001-01-02T00:00:00Z\"", "outside the accepted range")]
    [InlineData("from: \"9999-12-31T23:59:59.9999999Z\"", "outside the accepted range")]
    [InlineData("from: \"2022-01-01T00:00:00.0000001Z\", to: \"2022-01-02T00:00:00Z\"", "at most 6 fractional digits")]
    public async Task Times_outside_the_accepted_range_or_precision_are_bad_user_input(string arguments, string reason)
    {
        var token = (await auth.NewCustomerAsync()).Token;

        var (status, body) = await graphQL.PostAsync($"{{ deviceAggregates({arguments}) {{ deviceId }} }}", null, token);

        Assert.Equal(HttpStatusCode.OK, status);
        var (code, message) = GraphQLClient.SingleError(body);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains(reason, message);
    }

    [Fact]
    public async Task A_reading_at_the_end_of_time_is_refused_not_stored_as_infinity()
    {
        var token = (await auth.NewCustomerAsync()).Token;

        var (_, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest,
            new { readings = new[] { new { timestamp = "9999-12-31T23:59:59.9999999Z", reading = 1.0, deviceId = Guid.NewGuid() } } }, token);

        var (code, message) = GraphQLClient.SingleError(body);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains("readings[0].timestamp", message);
    }

    [Fact]
    public async Task Too_many_device_ids_are_refused_with_the_limit()
    {
        var token = (await auth.NewCustomerAsync()).Token;
        var ids = Enumerable.Range(0, 1_001).Select(_ => Guid.NewGuid()).ToArray();

        var (_, body) = await graphQL.PostAsync("query($ids: [UUID!]) { deviceAggregates(deviceIds: $ids) { deviceId } }", new { ids }, token);

        Assert.Contains("at most 1000 devices", GraphQLClient.SingleError(body).Message);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task A_deeply_nested_document_is_400_or_an_error_never_500(string method)
    {
        var token = (await auth.NewCustomerAsync()).Token;
        var deep = "{" + string.Concat(Enumerable.Repeat("devices {", 200)) + "id" + new string('}', 201);

        using var request = method == "GET"
            ? new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(deep))
            : new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonBody(System.Text.Json.JsonSerializer.Serialize(new { query = deep })) };
        var (status, body) = await graphQL.SendAsync(request, token);

        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)status}: {body}");
        Assert.NotEmpty(body.GetProperty("errors").EnumerateArray());
        Assert.DoesNotContain("   at ", body.ToString());
    }

    [Fact]
    public async Task A_nul_character_in_a_username_is_400_naming_the_field_not_500()
    {
        var (status, body) = await auth.PostAsync("/api/token", new { username = "ad\0min", password = "whatever-1" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("NUL", body.GetProperty("errors").GetProperty("username")[0].GetString());
    }
}
