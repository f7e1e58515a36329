using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.RawReadings;

/// <summary>
/// Raw readings through the running API: pages in time order that stay stable while readings arrive, the CSV
/// export of the same readings and of their buckets, and neither ever shows another customer's.
/// </summary>
[Collection(AppHostCollection.Name)]
public class RawReadingsTests(AppHostFixture fixture)
{
    private const string Page = """
        query($ids: [UUID!], $first: Int, $after: String, $from: DateTime, $to: DateTime, $c: UUID) {
          readings(deviceIds: $ids, first: $first, after: $after, from: $from, to: $to, customerId: $c) {
            edges { cursor node { deviceId customerId timestamp reading } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
        """;

    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private sealed record Sent(Guid DeviceId, DateTimeOffset At, double Value);

    /// <summary>Two devices with readings at the same times (ties ordered by device id) and one with its own.</summary>
    private async Task<List<Sent>> SendAsync(string token, Guid[] devices, double offset)
    {
        var sent = new List<Sent>();
        for (var m = 0; m < 10; m++)
        {
            sent.Add(new(devices[0], Start.AddMinutes(m), offset + m));
            sent.Add(new(devices[1], Start.AddMinutes(m), offset + 100 + m));
            sent.Add(new(devices[2], Start.AddMinutes(m).AddSeconds(30).AddTicks(10 * m), offset + 200 + m));
        }

        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = sent.Select(s => new { timestamp = s.At.ToString("O"), reading = s.Value, deviceId = s.DeviceId }) }, token);
        return sent;
    }

    private static List<Sent> Ordered(IEnumerable<Sent> readings) => [.. readings.OrderBy(r => r.At).ThenBy(r => r.DeviceId)];

    private static IEnumerable<Sent> Nodes(JsonElement connection) => connection.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("node"))
        .Select(n => new Sent(n.GetProperty("deviceId").GetGuid(), n.GetProperty("timestamp").GetDateTimeOffset(), n.GetProperty("reading").GetDouble()));

    private async Task<JsonElement> PageAsync(string token, object variables) =>
        (await graphQL.DataAsync(Page, variables, token)).GetProperty("readings");

    [Fact]
    public async Task Pages_hold_every_reading_once_in_time_order_and_stay_stable_while_readings_arrive()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var (otherToken, _) = await auth.NewCustomerAsync();
        var devices = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var otherDevices = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var sent = await SendAsync(token, devices, 0);
        await SendAsync(otherToken, otherDevices, 5000);

        // The first page, then readings arrive: one before its end (must not shift the pages) and one after (comes later).
        var first = await PageAsync(token, new { first = 7 });
        var seen = Nodes(first).ToList();
        Assert.Equal(Ordered(sent).Take(7), seen);
        Assert.True(first.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean());
        Assert.False(first.GetProperty("pageInfo").GetProperty("hasPreviousPage").GetBoolean());
        var late = new Sent(devices[2], Start.AddSeconds(1), -1);
        var newer = new Sent(devices[0], Start.AddHours(1), -2);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { late, newer }.Select(s => new { timestamp = s.At.ToString("O"), reading = s.Value, deviceId = s.DeviceId }) }, token);

        var after = first.GetProperty("pageInfo").GetProperty("endCursor").GetString();
        var pages = 1;
        while (after is not null)
        {
            var page = await PageAsync(token, new { first = 7, after });
            pages++;
            seen.AddRange(Nodes(page));
            Assert.True(page.GetProperty("edges").GetArrayLength() <= 7);
            after = page.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean() ? page.GetProperty("pageInfo").GetProperty("endCursor").GetString() : null;
        }

        Assert.Equal(Ordered(sent.Append(newer)), seen);
        Assert.Equal(5, pages);   // 31 readings, 7 a page

        // Filters: devices and a range; the other customer's devices give nothing.
        var filtered = await PageAsync(token, new { ids = new[] { devices[1], otherDevices[0] }, from = Start.AddMinutes(2).ToString("O"), to = Start.AddMinutes(4).ToString("O"), first = 100 });
        Assert.Equal(sent.Where(s => s.DeviceId == devices[1] && s.At >= Start.AddMinutes(2) && s.At < Start.AddMinutes(4)), Nodes(filtered));
        Assert.All(filtered.GetProperty("edges").EnumerateArray(), e => Assert.Equal(customerId, e.GetProperty("node").GetProperty("customerId").GetGuid()));
        Assert.Equal(0, (await PageAsync(token, new { ids = otherDevices })).GetProperty("edges").GetArrayLength());

        // An empty page says so, with no cursors to follow.
        var empty = await PageAsync(token, new { from = "2001-01-01T00:00:00Z", to = "2001-01-02T00:00:00Z" });
        Assert.Equal("""{"hasNextPage":false,"hasPreviousPage":false,"startCursor":null,"endCursor":null}""", empty.GetProperty("pageInfo").GetRawText());
    }

    [Theory]
    [InlineData("""{ readings(first: 0) { edges { cursor } } }""", "BAD_USER_INPUT", "first must be between 1 and 1000")]
    [InlineData("""{ readings(first: 1001) { edges { cursor } } }""", "BAD_USER_INPUT", "first must be between 1 and 1000")]
    [InlineData("""{ readings(after: "bm90IGEgY3Vyc29y") { edges { cursor } } }""", "BAD_USER_INPUT", "after (")]
    [InlineData("""{ readings(from: "2025-01-02T00:00:00Z", to: "2025-01-01T00:00:00Z") { edges { cursor } } }""", "BAD_USER_INPUT", "from (")]
    [InlineData("""{ readings(customerId: "3f0c5d0e-0000-4000-8000-000000000001") { edges { cursor } } }""", "FORBIDDEN", "You may only read your own")]
    public async Task Bad_page_requests_get_an_error_naming_the_argument(string query, string code, string message)
    {
        var (token, _) = await auth.NewCustomerAsync();
        var (_, body) = await graphQL.PostAsync(query, null, token);
        var error = GraphQLClient.SingleError(body);
        Assert.Equal(code, error.Code);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public async Task An_administrator_names_the_customer_whose_readings_to_page()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (token, customerId) = await auth.NewCustomerAsync();
        var devices = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var sent = await SendAsync(token, devices, 0);
        var (_, refused) = await graphQL.PostAsync(Page, new { first = 5 }, admin);
        Assert.Contains("Name the customerId", GraphQLClient.SingleError(refused).Message);
        Assert.Equal(Ordered(sent).Take(5), Nodes(await PageAsync(admin, new { first = 5, c = customerId })));
    }

    private async Task<(HttpStatusCode Status, HttpResponseMessage Response, string Body)> ExportAsync(string query, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/export" + query);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await graphQL.Http.SendAsync(request);
        return (response.StatusCode, response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_export_streams_the_readings_and_their_buckets_as_csv_of_the_callers_devices_only()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var (otherToken, _) = await auth.NewCustomerAsync();
        var devices = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var otherDevices = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var sent = await SendAsync(token, devices, 0.25);
        await SendAsync(otherToken, otherDevices, 5000);
        var range = $"from={Uri.EscapeDataString(Start.ToString("O"))}&to={Uri.EscapeDataString(Start.AddHours(1).ToString("O"))}";

        var (status, response, csv) = await ExportAsync($"?{range}&format=csv", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"readings_{customerId:N}_20250301T080000Z_20250301T090000Z.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var expected = sent.OrderBy(s => s.DeviceId).ThenBy(s => s.At)
            .Select(s => $"{s.DeviceId},{s.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture)},{s.Value.ToString("R", CultureInfo.InvariantCulture)},reading");
        Assert.Equal(["device_id,timestamp,reading,key", .. expected], csv.TrimEnd().Split("\r\n"));

        // The other customer's devices named: only the header; the other customer named: refused.
        var (_, _, none) = await ExportAsync($"?deviceIds={otherDevices[0]},{otherDevices[1]}", token);
        Assert.Equal("device_id,timestamp,reading,key", none.TrimEnd());
        var (forbidden, _, refusal) = await ExportAsync($"?customerId={Guid.NewGuid()}", token);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Contains("\"code\":\"FORBIDDEN\"", refusal);

        // Buckets: the same figures as deviceAggregates gives.
        var (_, _, buckets) = await ExportAsync($"?{range}&deviceIds={devices[0]}&aggregationSizeMinutes=5&functions=mean,max,count,p50", token);
        var aggregates = (await graphQL.DataAsync("""
            query($ids: [UUID!], $from: DateTime, $to: DateTime) { deviceAggregates(deviceIds: $ids, from: $from, to: $to, aggregationSizeMinutes: 5) { customerId deviceId aggregatedValues { from mean max count p50: percentile(p: 0.5) } } }
            """, new { ids = new[] { devices[0] }, from = Start.ToString("O"), to = Start.AddHours(1).ToString("O") }, token)).GetProperty("deviceAggregates")[0];
        var expectedBuckets = aggregates.GetProperty("aggregatedValues").EnumerateArray().Select(v =>
            $"{customerId},{devices[0]},{v.GetProperty("from").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture)},"
            + $"{v.GetProperty("mean").GetDouble().ToString("R", CultureInfo.InvariantCulture)},{v.GetProperty("max").GetDouble().ToString("R", CultureInfo.InvariantCulture)},{v.GetProperty("count").GetInt32()},{v.GetProperty("p50").GetDouble().ToString("R", CultureInfo.InvariantCulture)},reading");
        Assert.Equal(["customer_id,device_id,from,mean,max,count,p50,key", .. expectedBuckets], buckets.TrimEnd().Split("\r\n"));
        Assert.Equal(2, expectedBuckets.Count());   // ten minutes of readings
    }

    [Fact]
    public async Task The_parquet_export_holds_the_same_readings_read_back_by_a_parquet_reader()
    {
        var (token, _) = await auth.NewCustomerAsync();
        var devices = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var sent = await SendAsync(token, devices, 0.125);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/export?format=parquet");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await graphQL.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.apache.parquet", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(".parquet", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var file = new MemoryStream(await response.Content.ReadAsByteArrayAsync());

        await using var parquet = await Parquet.ParquetReader.CreateAsync(file);
        var fields = parquet.Schema.DataFields;
        Assert.Equal(["device_id", "timestamp", "reading", "key"], fields.Select(f => f.Name));
        var read = new List<Sent>();
        for (var g = 0; g < parquet.RowGroupCount; g++)
        {
            using var group = parquet.OpenRowGroupReader(g);
            var rows = (int)group.RowCount;
            var (ids, times, values) = (new string?[rows], new DateTime[rows], new double[rows]);
            await group.ReadAsync(fields[0], ids.AsMemory());
            await group.ReadAsync(fields[1], times.AsMemory());
            await group.ReadAsync(fields[2], values.AsMemory());
            read.AddRange(Enumerable.Range(0, rows).Select(i => new Sent(Guid.Parse(ids[i]!), new DateTimeOffset(DateTime.SpecifyKind(times[i], DateTimeKind.Utc)), values[i])));
        }

        Assert.Equal(sent.OrderBy(s => s.DeviceId).ThenBy(s => s.At), read);
    }

    [Theory]
    [InlineData("?format=xlsx", HttpStatusCode.BadRequest, "format must be 'csv' or 'parquet'")]
    [InlineData("?format=parquet&aggregationSizeMinutes=60", HttpStatusCode.BadRequest, "format 'parquet' is for raw readings")]
    [InlineData("?device_id=x", HttpStatusCode.BadRequest, "Unknown parameter 'device_id'")]
    [InlineData("?from=tomorrow", HttpStatusCode.BadRequest, "from must be an ISO 8601")]
    [InlineData("?aggregationSizeMinutes=0", HttpStatusCode.BadRequest, "aggregationSizeMinutes must be between")]
    [InlineData("?aggregationSizeMinutes=5&functions=median", HttpStatusCode.BadRequest, "functions: 'median'")]
    [InlineData("?fill=LINEAR", HttpStatusCode.BadRequest, "fill applies to aggregates")]
    public async Task Bad_export_parameters_get_a_400_naming_them(string query, HttpStatusCode expected, string message)
    {
        var (token, _) = await auth.NewCustomerAsync();
        var (status, response, body) = await ExportAsync(query, token);
        Assert.Equal(expected, status);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(message, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_export_needs_a_token_and_an_administrator_names_the_customer()
    {
        var (unauthenticated, response, _) = await ExportAsync("", null);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        var (status, _, body) = await ExportAsync("", await auth.AdminAccessTokenAsync());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Name the customerId", body);
    }
}
