using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Readings;

/// <summary>
/// Acknowledged means stored bit for bit: random finite doubles across the range ingest accepts (±1e100), sent
/// through every ingest path (GraphQL variables written shortest and with 17 digits, GraphQL literals, the original
/// REST endpoint, a mutation over the WebSocket), read back through <c>readings</c> and the CSV export, equal exactly. Variables went through
/// <c>decimal</c> once and came back one unit in the last place off for about one value in ten.
/// </summary>
[Collection(AppHostCollection.Name)]
public class ExactValuesTests(AppHostFixture fixture)
{
    private const int PerPath = 250;
    private static readonly DateTimeOffset Start = new(2023, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Random_doubles_sent_through_every_ingest_path_come_back_exactly_through_readings_and_the_export()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var random = new Random(29);
        var paths = new Dictionary<string, (Guid Device, double[] Values)>();
        foreach (var path in new[] { "variables-shortest", "variables-17-digits", "literals", "original-rest", "websocket", "messages" })
        {
            var values = Enumerable.Range(0, PerPath).Select(_ => RandomReading(random)).ToArray();
            values[0] = -509.58980585028036;   // the value the attack report named
            paths[path] = (Guid.NewGuid(), values);
        }

        await SendVariablesAsync(token, paths["variables-shortest"], "R");
        await SendVariablesAsync(token, paths["variables-17-digits"], "G17");
        await SendLiteralsAsync(token, paths["literals"]);
        await SendOriginalRestAsync(token, paths["original-rest"]);
        await SendOverWebSocketAsync(token, paths["websocket"]);
        await SendMessagesAsync(token, paths["messages"]);

        foreach (var (path, (device, values)) in paths)
        {
            AssertExact(path + " through readings", values, await ReadPageAsync(token, device));
            AssertExact(path + " through the export", values, await ExportAsync(token, device));
        }
    }

    /// <summary>Any finite double within ±1e100: random bits (so every exponent and subnormals), half of them in the usual range.</summary>
    private static double RandomReading(Random random)
    {
        while (true)
        {
            var value = random.Next(2) == 0 ? BitConverter.Int64BitsToDouble(random.NextInt64()) : (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 7));
            if (double.IsFinite(value) && Math.Abs(value) <= 1e100)
            {
                return value;
            }
        }
    }

    private static DateTimeOffset At(int i) => Start.AddSeconds(i);

    private static string Text(double value, string format = "R") => value.ToString(format, CultureInfo.InvariantCulture);

    private async Task SendVariablesAsync(string token, (Guid Device, double[] Values) sent, string format)
    {
        // Written by hand so the numbers go out exactly in the form under test.
        var readings = string.Join(",", sent.Values.Select((v, i) =>
            $$"""{"timestamp":"{{At(i):O}}","reading":{{Text(v, format)}},"deviceId":"{{sent.Device}}"}"""));
        var body = "{\"query\":" + JsonSerializer.Serialize(GraphQLDocuments.Ingest) + ",\"variables\":{\"readings\":[" + readings + "]}}";
        await AssertInsertedAsync(token, body, sent.Values.Length);
    }

    // ingestMessages: each value under a key of its own message (a value's path through MessageInput and KeyValueInput).
    private async Task SendMessagesAsync(string token, (Guid Device, double[] Values) sent)
    {
        var messages = string.Join(",", sent.Values.Select((v, i) =>
            $$"""{"deviceId":"{{sent.Device}}","timestamp":"{{At(i):O}}","values":[{"key":"power.l1","value":{{Text(v, "G17")}}}]}"""));
        var body = "{\"query\":\"mutation($m: [MessageInput!]!) { ingestMessages(messages: $m) { inserted } }\",\"variables\":{\"m\":[" + messages + "]}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var (status, answer) = await graphQL.SendAsync(request, token);
        Assert.True(status == HttpStatusCode.OK && !answer.TryGetProperty("errors", out _), $"{(int)status}: {answer}");
        Assert.Equal(sent.Values.Length, answer.GetProperty("data").GetProperty("ingestMessages").GetProperty("inserted").GetInt32());
    }

    private async Task SendLiteralsAsync(string token, (Guid Device, double[] Values) sent)
    {
        // Documents are bounded (16 384 characters): literals go in documents of 50 readings.
        foreach (var chunk in sent.Values.Select((v, i) => (v, i)).Chunk(50))
        {
            var readings = string.Join(",", chunk.Select(r => $$"""{timestamp: "{{At(r.i):O}}", reading: {{Text(r.v)}}, deviceId: "{{sent.Device}}"}"""));
            var body = JsonSerializer.Serialize(new { query = $"mutation {{ ingestReadings(readings: [{readings}]) {{ inserted updated unchanged }} }}" });
            await AssertInsertedAsync(token, body, chunk.Length);
        }
    }

    private async Task AssertInsertedAsync(string token, string body, int count)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var (status, answer) = await graphQL.SendAsync(request, token);
        Assert.True(status == HttpStatusCode.OK && !answer.TryGetProperty("errors", out _), $"{(int)status}: {answer}");
        Assert.Equal(count, answer.GetProperty("data").GetProperty("ingestReadings").GetProperty("inserted").GetInt32());
    }

    private async Task SendOriginalRestAsync(string token, (Guid Device, double[] Values) sent)
    {
        var readings = string.Join(",", sent.Values.Select((v, i) => $$"""{"timestamp":"{{At(i):O}}","reading":{{Text(v)}},"device_id":"{{sent.Device}}"}"""));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/device/create/") { Content = new StringContent($"[{readings}]", Encoding.UTF8, "application/json") };
        var (status, answer) = await graphQL.SendAsync(request, token);
        Assert.True(status == HttpStatusCode.Created, $"{(int)status}: {answer}");
    }

    private async Task SendOverWebSocketAsync(string token, (Guid Device, double[] Values) sent)
    {
        var (socket, _) = await GraphQLWebSocketClient.SignedInAsync(fixture.AppHost, token);
        await using (socket)
        {
            var readings = string.Join(",", sent.Values.Select((v, i) => $$"""{"timestamp":"{{At(i):O}}","reading":{{Text(v, "G17")}},"deviceId":"{{sent.Device}}"}"""));
            await socket.SendTextAsync("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":" + JsonSerializer.Serialize(GraphQLDocuments.Ingest) + ",\"variables\":{\"readings\":[" + readings + "]}}}");
            var next = await socket.ReceiveAsync();
            Assert.True(next.GetProperty("type").GetString() == "next", next.ToString());
            Assert.Equal(sent.Values.Length, next.GetProperty("payload").GetProperty("data").GetProperty("ingestReadings").GetProperty("inserted").GetInt32());
        }
    }

    private async Task<double[]> ReadPageAsync(string token, Guid device)
    {
        var data = await graphQL.DataAsync("query($d: [UUID!]) { readings(deviceIds: $d, first: 1000) { edges { node { timestamp reading } } } }", new { d = new[] { device } }, token);
        return data.GetProperty("readings").GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("node").GetProperty("reading").GetDouble()).ToArray();
    }

    private async Task<double[]> ExportAsync(string token, Guid device)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/export?deviceIds={device}&from=2023-03-01T00:00:00Z&to=2023-03-02T00:00:00Z");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await graphQL.Http.SendAsync(request);
        var csv = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, csv);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var column = Array.IndexOf(lines[0].Split(','), "reading");
        return lines.Skip(1).Select(line => double.Parse(line.Split(',')[column], CultureInfo.InvariantCulture)).ToArray();
    }

    private static void AssertExact(string what, double[] sent, double[] read)
    {
        Assert.Equal(sent.Length, read.Length);
        var differing = sent.Zip(read).Where(p => BitConverter.DoubleToInt64Bits(p.First) != BitConverter.DoubleToInt64Bits(p.Second)).ToList();
        Assert.True(differing.Count == 0, $"{what}: {differing.Count} of {sent.Length} differ, e.g. sent {Text(differing.FirstOrDefault().First)} read {Text(differing.FirstOrDefault().Second)}");
    }
}
