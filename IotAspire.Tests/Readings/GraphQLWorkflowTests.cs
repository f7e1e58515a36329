using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Readings;

/// <summary>The original system's workflow with its sample data, through GraphQL over HTTP.</summary>
[Collection(AppHostCollection.Name)]
public class GraphQLWorkflowTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Two_customers_ingest_the_sample_readings_and_each_reads_only_its_own_means_while_the_admin_sees_both()
    {
        var seed1 = SeedReading.Load("customer1_readings.json");
        var seed2 = SeedReading.Load("customer2_readings.json");
        var customer1 = (await auth.TokensAsync(await auth.CreateCustomerAsync(SeedReading.Customer1, TokenServiceClient.CustomerPassword, "customer1"), TokenServiceClient.CustomerPassword)).Access;
        var customer2 = (await auth.TokensAsync(await auth.CreateCustomerAsync(SeedReading.Customer2, "User2@1234", "customer2"), "User2@1234")).Access;

        // Customer 1 posts the original payload's customer ids; customer 2 leaves them out (meaning its own).
        var stored1 = await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = seed1.Select(r => new { timestamp = r.Timestamp.ToString("O").TrimEnd('Z'), r.Reading, r.DeviceId, r.CustomerId }) }, customer1);
        var stored2 = await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = seed2.Select(r => new { timestamp = r.Timestamp.ToString("O").TrimEnd('Z'), r.Reading, r.DeviceId }) }, customer2);
        // Stored now, or already (the original REST API's test posts the same file for the same customer):
        // either way all 10 are there, none changed.
        foreach (var stored in new[] { stored1, stored2 })
        {
            var outcome = stored.GetProperty("ingestReadings");
            Assert.Equal((10, 0), (outcome.GetProperty("inserted").GetInt32() + outcome.GetProperty("unchanged").GetInt32(), outcome.GetProperty("updated").GetInt32()));
        }

        var range = new { from = "2022-01-21T10:00:00Z", to = "2022-01-21T12:00:00Z" };
        foreach (var size in new[] { 5, 10 })
        {
            var own1 = await ReadAsync(customer1, range.from, range.to, size);
            var own2 = await ReadAsync(customer2, range.from, range.to, size);

            AssertMeans(SeedReading.ExpectedMeans(seed1, size), own1);
            AssertMeans(SeedReading.ExpectedMeans(seed2, size), own2);
            Assert.All(own1, a => Assert.Equal(SeedReading.Customer1, a.GetProperty("customerId").GetGuid()));
            Assert.All(own2, a => Assert.Equal(SeedReading.Customer2, a.GetProperty("customerId").GetGuid()));
            Assert.All(own1, a => Assert.Equal(size, a.GetProperty("aggregationSizeMinutes").GetInt32()));
            Assert.All(own1, a => Assert.Equal("2022-01-21T10:00:00+00:00", a.GetProperty("from").GetString()));
        }

        var admin = await auth.AdminAccessTokenAsync();
        var everyone = await ReadAsync(admin, range.from, range.to, 5);
        var seedCustomers = everyone.Where(a => a.GetProperty("customerId").GetGuid() is var c && (c == SeedReading.Customer1 || c == SeedReading.Customer2)).ToList();
        AssertMeans(SeedReading.ExpectedMeans(seed1.Concat(seed2), 5), seedCustomers);
        var order = everyone.Select(a => (a.GetProperty("customerId").GetGuid(), a.GetProperty("deviceId").GetGuid())).ToList();
        Assert.Equal(order.Order(), order);
    }

    private async Task<List<JsonElement>> ReadAsync(string token, string from, string to, int size)
    {
        var data = await graphQL.DataAsync(GraphQLDocuments.Aggregates, new { from, to, size }, token);
        return data.GetProperty("deviceAggregates").EnumerateArray().ToList();
    }

    private static void AssertMeans(Dictionary<(Guid Device, DateTimeOffset Bucket), double> expected, List<JsonElement> aggregates)
    {
        var actual = aggregates
            .SelectMany(a => a.GetProperty("aggregatedValues").EnumerateArray().Select(v =>
                ((a.GetProperty("deviceId").GetGuid(), DateTimeOffset.Parse(v.GetProperty("from").GetString()!)), v.GetProperty("value").GetDouble())))
            .ToDictionary();
        SeedReading.AssertSameMeans(expected, actual);
    }
}
