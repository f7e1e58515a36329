using System.Text.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Readings;

/// <summary><c>deviceAggregates(fill: ...)</c> through the running API: every mode, gaps at both ends and inside, and the bucket limit.</summary>
[Collection(AppHostCollection.Name)]
public class GapFillTests(AppHostFixture fixture)
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

    [Fact]
    public async Task A_named_device_with_a_reading_only_before_the_range_gets_its_buckets()
    {
        // A thermostat that reports only on change: 21.5 at 09:42 (and 20.5 at 09:31, another bucket), nothing in
        // 10:00-11:00. A second named device has no reading at all before the range; a third, not named, has one.
        var (customer, _) = await auth.NewCustomerAsync();
        var (thermostat, silent, unnamed) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new
        {
            readings = new[]
            {
                new { timestamp = "2022-05-01T09:31:00Z", reading = 20.5, deviceId = thermostat },
                new { timestamp = "2022-05-01T09:42:00Z", reading = 21.5, deviceId = thermostat },
                new { timestamp = "2022-05-01T11:30:00Z", reading = 1.0, deviceId = silent },   // after the range only
                new { timestamp = "2022-05-01T09:45:00Z", reading = 3.0, deviceId = unnamed },
            },
        }, customer);
        const string Named = """
            query($fill: FillMode!, $d: [UUID!]) {
              deviceAggregates(from: "2022-05-01T10:00:00Z", to: "2022-05-01T11:00:00Z", aggregationSizeMinutes: 10, fill: $fill, deviceIds: $d) { deviceId aggregatedValues { from value } }
            }
            """;

        async Task<Dictionary<Guid, double?[]>> AnsweredAsync(string fill, Guid[]? devices) =>
            (await graphQL.DataAsync(Named, new { fill, d = devices }, customer)).GetProperty("deviceAggregates").EnumerateArray().ToDictionary(
                a => a.GetProperty("deviceId").GetGuid(),
                a => a.GetProperty("aggregatedValues").EnumerateArray().Select(v => v.GetProperty("value").ValueKind == JsonValueKind.Null ? (double?)null : v.GetProperty("value").GetDouble()).ToArray());

        var previous = await AnsweredAsync("PREVIOUS", [thermostat, silent]);
        Assert.Equal([thermostat], previous.Keys);
        Assert.Equal(Enumerable.Repeat<double?>(21.5, 6), previous[thermostat]);
        Assert.Equal(Enumerable.Repeat<double?>(null, 6), (await AnsweredAsync("NULL", [thermostat, silent]))[thermostat]);
        Assert.Equal(Enumerable.Repeat<double?>(null, 6), (await AnsweredAsync("LINEAR", [thermostat]))[thermostat]);
        Assert.Empty(await AnsweredAsync("NONE", [thermostat, silent]));
        Assert.Empty(await AnsweredAsync("PREVIOUS", null));   // not named: absent, as before

        // Another customer naming the thermostat learns nothing of it.
        var (intruder, _) = await auth.NewCustomerAsync();
        var (_, body) = await graphQL.PostAsync(Named, new { fill = "PREVIOUS", d = new[] { thermostat } }, intruder);
        Assert.Equal(0, body.GetProperty("data").GetProperty("deviceAggregates").GetArrayLength());
    }
}
