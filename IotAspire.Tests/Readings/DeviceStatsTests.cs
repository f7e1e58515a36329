using System.Text.Json;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Readings;

/// <summary>
/// <c>devices</c> answers from counts and spans kept on each device row. They must equal what the readings
/// table says, whatever arrives: late readings, duplicates within and across batches, changed values,
/// concurrent batches for the same devices, a device moved, removed and claimed again.
/// </summary>
[Collection(AppHostCollection.Name)]
public class DeviceStatsTests(AppHostFixture fixture)
{
    private const string DevicesWithSpans = "query($c: UUID) { devices(customerId: $c) { id customerId firstReadingAt lastReadingAt readingCount } }";

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Counts_and_spans_equal_the_stored_readings_under_late_duplicate_changed_and_concurrent_batches()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var devices = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();
        var random = new Random(20261128);
        var start = new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.Zero);

        // 40 batches of 50 readings from 4 senders at once, over 3 devices and 600 possible minutes: so
        // readings arrive late, repeat within and across batches, and some come back with another value.
        var batches = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, 50).Select(_ => new
        {
            timestamp = start.AddMinutes(random.Next(600)).ToString("O"),
            reading = (double)random.Next(3),
            deviceId = devices[random.Next(devices.Length)],
        }).ToArray()).ToArray();
        await graphQL.IngestConcurrentlyAsync(batches, token, senders: 4);

        await AssertMatchesReadingsAsync(token, customerId, expectedDevices: 3);
    }

    [Fact]
    public async Task Concurrent_first_batches_naming_the_same_new_devices_in_other_orders_all_store()
    {
        // Each round: 4 batches at once, each the same 30 devices nobody has claimed yet, each in its own order. Claims
        // taken in arrival order deadlock here (one batch waits on another's claim of a device it holds the next of).
        var (token, customerId) = await auth.NewCustomerAsync();
        var random = new Random(20261204);
        var at = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
        for (var round = 0; round < 6; round++)
        {
            var devices = Enumerable.Range(0, 30).Select(_ => Guid.NewGuid()).ToArray();
            var batches = Enumerable.Range(0, 4).Select(sender =>
            {
                var order = devices.ToArray();
                random.Shuffle(order);
                return order.Select(device => new { timestamp = at.AddMinutes(sender).ToString("O"), reading = 1.0, deviceId = device }).ToArray();
            }).ToArray();
            await graphQL.IngestConcurrentlyAsync(batches, token, senders: 4);
        }

        var devicesAnswered = await AssertMatchesReadingsAsync(token, customerId, expectedDevices: 180);
        Assert.All(devicesAnswered.Values, device => Assert.Equal(4, device.Count));
    }

    [Fact]
    public async Task A_moved_removed_and_reclaimed_device_counts_only_its_current_customers_readings()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (first, firstId) = await auth.NewCustomerAsync();
        var (second, secondId) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        object Readings(params string[] times) => new { readings = times.Select(t => new { timestamp = t, reading = 1.5, deviceId = device }) };

        await graphQL.DataAsync(GraphQLDocuments.Ingest, Readings("2024-01-01T00:00:00Z", "2024-01-01T00:05:00Z"), first);
        await AssertMatchesReadingsAsync(first, firstId, expectedDevices: 1);

        // Moved to the second customer: its count starts from the second's readings of it (none).
        await graphQL.DataAsync(GraphQLDocuments.RegisterDevice, new { d = device, c = secondId }, admin);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Readings("2023-12-31T23:00:00Z"), second);
        await AssertMatchesReadingsAsync(second, secondId, expectedDevices: 1);
        await AssertMatchesReadingsAsync(first, firstId, expectedDevices: 0);

        // Removed, then claimed again by the first customer as first sender: its two old readings count again.
        await graphQL.DataAsync(GraphQLDocuments.RemoveDevice, new { d = device }, admin);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Readings("2024-01-01T00:05:00Z", "2024-01-02T00:00:00Z"), first);
        var devices = await AssertMatchesReadingsAsync(first, firstId, expectedDevices: 1);
        Assert.Equal(3, devices[device].Count);

        // Registered back to the second customer by an administrator: the second's one reading again.
        await graphQL.DataAsync(GraphQLDocuments.RegisterDevice, new { d = device, c = secondId }, admin);
        Assert.Equal(1, (await AssertMatchesReadingsAsync(second, secondId, expectedDevices: 1))[device].Count);
    }

    private async Task<Dictionary<Guid, (long Count, DateTimeOffset? First, DateTimeOffset? Last)>> AssertMatchesReadingsAsync(
        string token, Guid customerId, int expectedDevices)
    {
        var answered = (await graphQL.DataAsync(DevicesWithSpans, null, token)).GetProperty("devices").EnumerateArray()
            .ToDictionary(d => d.GetProperty("id").GetGuid(), d => (
                Count: (long)d.GetProperty("readingCount").GetInt32(),
                First: Time(d.GetProperty("firstReadingAt")),
                Last: Time(d.GetProperty("lastReadingAt"))));
        Assert.Equal(expectedDevices, answered.Count);

        await using var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        var rows = await Sql.ListAsync(dataSource,
            "SELECT series_id, count(*), min(recorded_at), max(recorded_at) FROM readings WHERE customer_id = $1 AND series_id = ANY($2) GROUP BY series_id",
            r => (Id: r.GetGuid(0), Count: r.GetInt64(1), First: (DateTimeOffset?)r.GetFieldValue<DateTimeOffset>(2), Last: (DateTimeOffset?)r.GetFieldValue<DateTimeOffset>(3)),
            customerId, answered.Keys.ToArray());
        var stored = answered.Keys.ToDictionary(id => id, _ => (Count: 0L, First: (DateTimeOffset?)null, Last: (DateTimeOffset?)null));
        foreach (var row in rows)
        {
            stored[row.Id] = (row.Count, row.First, row.Last);
        }

        Assert.Equal(stored.OrderBy(p => p.Key), answered.OrderBy(p => p.Key));
        return answered;
    }

    private static DateTimeOffset? Time(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null ? null : value.GetDateTimeOffset();
}
