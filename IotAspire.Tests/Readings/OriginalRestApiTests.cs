using System.Net;
using System.Text;
using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Readings;

/// <summary>
/// The original REST API for devices that cannot change: its sample data posted as it was, read back in its
/// shape, defaults and inclusive end, and none of its failures (500s on empty buckets, empty results, an
/// administrator's query over two customers, bad parameters or another customer's reading).
/// </summary>
[Collection(AppHostCollection.Name)]
public class OriginalRestApiTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string json, string? token, string path = "/api/device/create/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await graphQL.Http.SendAsync(request, token);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string query, string? token, string path = "/api/devices")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path + query);
        return await graphQL.Http.SendAsync(request, token);
    }

    private static string Readings(params (Guid Device, string At, double Value)[] readings) =>
        JsonSerializer.Serialize(readings.Select(r => new { timestamp = r.At, reading = r.Value, device_id = r.Device }));

    [Fact]
    public async Task The_original_sample_data_goes_in_and_comes_out_as_the_original_answered()
    {
        var customer1 = (await auth.TokensAsync(await auth.CreateCustomerAsync(SeedReading.Customer1, TokenServiceClient.CustomerPassword, "customer1"), TokenServiceClient.CustomerPassword)).Access;
        var file = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "SeedData", "customer1_readings.json"));

        var (created, stored) = await PostAsync(file, customer1);
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(10, stored.GetArrayLength());
        Assert.Equal(["customer_id", "device_id", "reading", "timestamp"], stored[0].EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(SeedReading.Customer1, stored[0].GetProperty("customer_id").GetGuid());

        var seed = SeedReading.Load("customer1_readings.json");
        foreach (var size in new[] { 5, 10 })
        {
            var (status, devices) = await GetAsync($"?start=2022-01-21T10:00:00&end=2022-01-21T12:00:00&aggregation_size={size}", customer1);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(JsonValueKind.Array, devices.ValueKind);
            Assert.All(devices.EnumerateArray(), d =>
            {
                Assert.Equal(["aggregated_values", "aggregation_size_minutes", "customer_id", "device_id", "from", "to"], d.EnumerateObject().Select(p => p.Name).Order());
                Assert.Equal(SeedReading.Customer1, d.GetProperty("customer_id").GetGuid());
                Assert.Equal(size, d.GetProperty("aggregation_size_minutes").GetInt32());
                Assert.Equal("2022-01-21T10:00:00+00:00", d.GetProperty("from").GetString());
                Assert.Equal("2022-01-21T12:00:00+00:00", d.GetProperty("to").GetString());
            });

            // The original's means, rounded to two places.
            var expected = SeedReading.ExpectedMeans(seed, size).ToDictionary(m => m.Key, m => Math.Round(m.Value, 2));
            var actual = devices.EnumerateArray().SelectMany(d => d.GetProperty("aggregated_values").EnumerateArray().Select(v =>
                KeyValuePair.Create((d.GetProperty("device_id").GetGuid(), v.GetProperty("from").GetDateTimeOffset()), v.GetProperty("value").GetDouble())))
                .Where(m => seed.Any(r => r.DeviceId == m.Key.Item1)).ToDictionary();
            Assert.Equal(expected.OrderBy(e => e.Key).ToList(), actual.OrderBy(a => a.Key).ToList());
        }

        // Device 71bf19cb's first five-minute bucket as a person would check it: (0.63 + 0.9 + 0.9 + 0.32) / 4 = 0.6875.
        var (_, one) = await GetAsync("?start=2022-01-21T10:00:00&end=2022-01-21T12:00:00&device_id=71bf19cb-e7e7-4334-af31-5ebba56a655d", customer1);
        Assert.Equal(0.69, Assert.Single(one.EnumerateArray()).GetProperty("aggregated_values")[0].GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task The_end_is_inclusive_and_the_defaults_are_five_minutes_over_the_last_30_days()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var recent = DateTimeOffset.UtcNow.AddHours(-1);
        var (status, _) = await PostAsync(Readings((device, "2022-01-22T00:00:00", 4), (device, recent.ToString("yyyy-MM-dd'T'HH:mm:ss"), 7)), customer, "/api/device/create");
        Assert.Equal(HttpStatusCode.Created, status);

        var (_, atEnd) = await GetAsync("?start=2022-01-21T00:00:00&end=2022-01-22T00:00:00&aggregation_size=60", customer);
        Assert.Equal("2022-01-22T00:00:00+00:00", Assert.Single(Assert.Single(atEnd.EnumerateArray()).GetProperty("aggregated_values").EnumerateArray()).GetProperty("from").GetString());

        var (_, defaults) = await GetAsync("", customer, "/api/devices/");
        var device1 = Assert.Single(defaults.EnumerateArray());
        Assert.Equal(5, device1.GetProperty("aggregation_size_minutes").GetInt32());
        Assert.Equal(7, Assert.Single(device1.GetProperty("aggregated_values").EnumerateArray()).GetProperty("value").GetDouble());
        var span = device1.GetProperty("to").GetDateTimeOffset() - device1.GetProperty("from").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromDays(30), span);
    }

    [Fact]
    public async Task What_made_the_original_answer_500_is_answered_200_or_a_clear_4xx()
    {
        var (customer, customerId) = await auth.NewCustomerAsync();
        var (other, otherId) = await auth.NewCustomerAsync();
        var (device, otherDevice) = (Guid.NewGuid(), Guid.NewGuid());

        // An empty bucket between two full ones: two buckets, no NaN.
        await PostAsync(Readings((device, "2022-03-01T10:00:00", 1), (device, "2022-03-01T10:20:00", 3)), customer);
        var (status, gap) = await GetAsync("?start=2022-03-01T10:00:00&end=2022-03-01T10:30:00", customer);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, gap[0].GetProperty("aggregated_values").GetArrayLength());

        // No readings: an empty list.
        var (emptyStatus, empty) = await GetAsync("?start=2000-01-01T00:00:00&end=2000-01-02T00:00:00", customer);
        Assert.Equal((HttpStatusCode.OK, 0), (emptyStatus, empty.GetArrayLength()));

        // An administrator over two customers.
        await PostAsync(Readings((otherDevice, "2022-03-01T10:05:00", 2)), other);
        var (adminStatus, both) = await GetAsync("?start=2022-03-01T10:00:00&end=2022-03-01T10:30:00", await auth.AdminAccessTokenAsync());
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.Subset(both.EnumerateArray().Select(d => d.GetProperty("customer_id").GetGuid()).ToHashSet(), new HashSet<Guid> { customerId, otherId });

        // Bad parameters and bodies: 400 naming what is wrong; another customer: 403; nothing written.
        foreach (var (query, named) in new[]
        {
            ("?start=yesterday", "start"), ("?end=2022-13-01", "end"), ("?aggregation_size=0", "aggregation_size"), ("?aggregation_size=five", "aggregation_size"),
            ("?device_id=42", "device_id"), ("?customer_id=x", "customer_id"), ("?start=2022-02-01&end=2022-01-01", "start"),
            ("?start=1970-01-01&end=2099-01-01&aggregation_size=1", "aggregation_size"),
        })
        {
            var (badStatus, bad) = await GetAsync(query, customer);
            Assert.Equal(HttpStatusCode.BadRequest, badStatus);
            Assert.StartsWith(named, bad.GetProperty("error").GetString());
        }

        foreach (var (body, named) in new[]
        {
            ("not json", "The body is not valid JSON"), ("{}", "Send a JSON array"), ("[1]", "[0] must be an object"),
            ($"[{{\"timestamp\": \"2022-01-01T00:00:00\", \"reading\": 1}}]", "[0].device_id is missing"),
            ($"[{{\"timestamp\": \"noon\", \"reading\": 1, \"device_id\": \"{device}\"}}]", "[0].timestamp"),
            ($"[{{\"timestamp\": \"2022-01-01T00:00:00\", \"reading\": \"much\", \"device_id\": \"{device}\"}}]", "[0].reading"),
        })
        {
            var (badStatus, bad) = await PostAsync(body, customer);
            Assert.Equal(HttpStatusCode.BadRequest, badStatus);
            Assert.Contains(named, bad.GetProperty("error").GetString());
        }

        var foreign = JsonSerializer.Serialize(new[] { new { timestamp = "2022-03-01T11:00:00", reading = 1.0, device_id = device, customer_id = otherId } });
        var (forbidden, refusal) = await PostAsync(foreign, customer);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Equal("FORBIDDEN", refusal.GetProperty("code").GetString());
        var (squat, _) = await PostAsync(Readings((otherDevice, "2022-03-01T11:00:00", 1)), customer);
        Assert.Equal(HttpStatusCode.Forbidden, squat);

        var (anonymous, unauthenticated) = await GetAsync("", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
        Assert.Equal("UNAUTHENTICATED", unauthenticated.GetProperty("code").GetString());
        var (_, after) = await GetAsync("?start=2022-03-01T10:00:00&end=2022-03-01T12:00:00", customer);
        Assert.Equal(2, after[0].GetProperty("aggregated_values").GetArrayLength());   // the refused readings are not there
    }

    [Fact]
    public async Task A_device_token_posts_its_own_readings_and_reads_nothing()
    {
        var (customer, customerId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var token = (await graphQL.DataAsync(GraphQLDocuments.CreateDeviceToken, new { d = device }, customer)).GetProperty("createDeviceToken").GetProperty("token").GetString()!;

        var (created, stored) = await PostAsync(Readings((device, "2022-04-01T00:00:00", 1)), token);
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(customerId, stored[0].GetProperty("customer_id").GetGuid());
        var (read, _) = await GetAsync("", token);
        Assert.Equal(HttpStatusCode.Forbidden, read);
    }
}
