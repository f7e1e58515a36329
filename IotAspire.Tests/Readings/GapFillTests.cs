using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Readings;

/// <summary><c>deviceAggregates(fill: ...)</c> through the running API: every mode, gaps at both ends and inside, and the bucket limit.</summary>
[Collection(AppHostCollection.Name)]
public sealed class GapFillTests(AppHostFixture fixture)
{
    private const string Filled = """
        query($from: DateTime, $to: DateTime, $size: Int, $fill: FillMode!) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: $size, fill: $fill) { deviceId aggregatedValues { from value } }
        }
        """;

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Each_fill_mode_answers_every_bucket_as_it_says()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        // Before the range: 4 and 6 in the 09:50 bucket (mean 5). In the range 10:00-11:00 by 10 minutes:
        // 10:20 -> 10, 10:30 -> 20 and 30 (mean 25), 10:50 -> 40; empty: 10:00, 10:10, 10:40.
        var readings = new (string At, double Value)[]
        {
            ("2022-05-01T09:51:00Z", 4), ("2022-05-01T09:55:00Z", 6), ("2022-05-01T10:21:00Z", 10),
            ("2022-05-01T10:31:00Z", 20), ("2022-05-01T10:32:00Z", 30), ("2022-05-01T10:55:00Z", 40),
        };
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = readings.Select(r => new { timestamp = r.At, reading = r.Value, deviceId = device }) }, customer);

        async Task<double?[]> ValuesAsync(string fill)
        {
            var data = await graphQL.DataAsync(Filled, new { from = "2022-05-01T10:00:00Z", to = "2022-05-01T11:00:00Z", size = 10, fill }, customer);
            var values = Assert.Single(data.GetProperty("deviceAggregates").EnumerateArray()).GetProperty("aggregatedValues");
            if (fill != "NONE")
            {
                Assert.Equal(Enumerable.Range(0, 6).Select(i => DateTimeOffset.Parse("2022-05-01T10:00:00Z").AddMinutes(10 * i)), values.EnumerateArray().Select(v => v.GetProperty("from").GetDateTimeOffset()));
            }

            return [.. values.EnumerateArray().Select(v => v.GetProperty("value").ValueKind == JsonValueKind.Null ? (double?)null : v.GetProperty("value").GetDouble())];
        }

        Assert.Equal([10, 25, 40], await ValuesAsync("NONE"));
        Assert.Equal([null, null, 10, 25, null, 40], await ValuesAsync("NULL"));
        Assert.Equal([5, 5, 10, 25, 25, 40], await ValuesAsync("PREVIOUS"));
        Assert.Equal([null, null, 10, 25, 32.5, 40], await ValuesAsync("LINEAR"));

        // Filling counts every bucket towards the answer's limit, and says so: two devices, 52 560 buckets each.
        var (other, _) = await auth.NewCustomerAsync();
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { Guid.NewGuid(), Guid.NewGuid() }.Select(d => new { timestamp = "2022-05-01T10:21:00Z", reading = 1.0, deviceId = d }) }, other);
        var year = new { from = "2021-05-01T11:00:00Z", to = "2022-05-01T11:00:00Z", size = 10 };
        Assert.Equal(2, (await graphQL.DataAsync(Filled, new { year.from, year.to, year.size, fill = "NONE" }, other)).GetProperty("deviceAggregates").GetArrayLength());
        var (_, tooMany) = await graphQL.PostAsync(Filled, new { year.from, year.to, year.size, fill = "NULL" }, other);
        var (code, message) = GraphQLClient.SingleError(tooMany);
        Assert.Equal("BAD_USER_INPUT", code);
        Assert.Contains("With fill NULL", message);
        var (_, unknown) = await graphQL.PostAsync(Filled, new { fill = "SIDEWAYS" }, customer);
        Assert.Contains("SIDEWAYS", GraphQLClient.SingleError(unknown).Message);
    }
}
