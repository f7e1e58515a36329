using IotAspire.Tests.Infrastructure;
using Npgsql;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Tests.Readings;

/// <summary>The ingest and aggregate SQL against the real readings database. Every test writes under
/// customers and devices of its own, so tests sharing the database cannot see each other's rows.</summary>
[Collection(AppHostCollection.Name)]
public class ReadingsStorageTests(AppHostFixture fixture) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2022, 1, 21, 10, 0, 0, TimeSpan.Zero);
    private NpgsqlDataSource dataSource = null!;

    public async Task InitializeAsync() =>
        dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));

    public async Task DisposeAsync() => await dataSource.DisposeAsync();

    [Theory]
    [InlineData(5)]
    [InlineData(10)]
    public async Task The_sample_readings_aggregate_to_the_means_computed_independently(int aggregationSizeMinutes)
    {
        // Fresh ids keep this run apart from others on the shared database; values and times are the seed's.
        var seed = Renamed(SeedReading.Load("customer1_readings.json"));
        var customer = seed[0].CustomerId;
        Assert.IsType<IngestOutcome.Stored>(await WriteSeed(seed));

        var aggregates = await Read(customer, from: Start, to: Start.AddHours(2), aggregationSizeMinutes);

        var expected = SeedReading.ExpectedMeans(seed, aggregationSizeMinutes);
        var actual = aggregates.SelectMany(a => a.AggregatedValues.Select(v => ((a.DeviceId, v.From), v.Value!.Value))).ToDictionary();
        SeedReading.AssertSameMeans(expected, actual);
        Assert.Equal(aggregates.Select(a => a.DeviceId).Order(), aggregates.Select(a => a.DeviceId));
    }

    [Fact]
    public async Task Resending_a_batch_changes_nothing_and_a_changed_value_is_updated()
    {
        var (customer, device) = (Guid.NewGuid(), Guid.NewGuid());
        ReadingToStore[] batch = [new(customer, device, Start, 1.5), new(customer, device, Start.AddMinutes(1), 2.5)];

        var first = await Write(batch);
        var retry = await Write(batch);
        var changed = await Write([batch[0] with { Value = 9.0 }, batch[1]]);

        Assert.Equal(new IngestOutcome.Stored(2, 0, 0), first);
        Assert.Equal(new IngestOutcome.Stored(0, 0, 2), retry);
        Assert.Equal(new IngestOutcome.Stored(0, 1, 1), changed);
        var bucket = Assert.Single(Assert.Single(await Read(customer, Start, Start.AddHours(1), 5)).AggregatedValues);
        Assert.Equal((9.0 + 2.5) / 2, bucket.Value);
    }

    [Fact]
    public async Task A_batch_that_repeats_a_device_and_time_stores_its_last_value_once()
    {
        var (customer, device) = (Guid.NewGuid(), Guid.NewGuid());

        var stored = await Write(
        [
            new(customer, device, Start, 1.0), new(customer, device, Start.AddMinutes(1), 2.0),
            new(customer, device, Start, 7.0), new(customer, device, Start.ToOffset(TimeSpan.FromHours(-5)), 4.0),
        ]);

        Assert.Equal(new IngestOutcome.Stored(2, 0, 2), stored);   // the repeats count as unchanged
        var bucket = Assert.Single(Assert.Single(await Read(customer, Start, Start.AddHours(1), 5)).AggregatedValues);
        Assert.Equal((4.0 + 2.0) / 2, bucket.Value);
        var summary = Assert.Single(await new DevicesReader(dataSource).ReadAsync(customer, default));
        Assert.Equal(2, summary.ReadingCount);
    }

    [Fact]
    public async Task A_device_of_another_customer_refuses_the_whole_batch()
    {
        var (owner, intruder, device, ownDevice) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await Write([new(owner, device, Start, 1)]);

        var outcome = await Write([new(intruder, ownDevice, Start, 5), new(intruder, device, Start, 7)]);

        Assert.Equal(new IngestOutcome.DeviceOwnedByAnotherCustomer(device), outcome);
        Assert.Empty(await Read(intruder, Start.AddDays(-1), Start.AddDays(1), 5));     // not even its own device
        Assert.Equal(1.0, Assert.Single(Assert.Single(await Read(owner, Start.AddDays(-1), Start.AddDays(1), 5)).AggregatedValues).Value);
    }

    [Fact]
    public async Task When_registration_is_required_only_registered_devices_store_and_nothing_else_is_written()
    {
        var (customer, registered, unknown) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var strict = new ReadingsWriter(dataSource, claimNewDevices: false);
        await new DeviceRegistry(dataSource).RegisterAsync(registered, customer, default);

        var refused = await strict.WriteAsync([new(customer, registered, Start, 1), new(customer, unknown, Start, 2)], default);
        var stored = await strict.WriteAsync([new(customer, registered, Start, 1)], default);

        Assert.Equal(new IngestOutcome.DeviceNotRegistered(unknown), refused);
        Assert.Equal(new IngestOutcome.Stored(1, 0, 0), stored);
        Assert.Equal(registered, Assert.Single(await Read(customer, Start.AddDays(-1), Start.AddDays(1), 5)).DeviceId);
    }

    [Fact]
    public async Task An_empty_bucket_between_two_full_ones_is_absent_and_the_range_is_half_open()
    {
        var (customer, device) = (Guid.NewGuid(), Guid.NewGuid());
        await Write([new(customer, device, Start, 1), new(customer, device, Start.AddMinutes(10), 3), new(customer, device, Start.AddMinutes(15), 5)]);

        var values = Assert.Single(await Read(customer, Start, Start.AddMinutes(15), 5)).AggregatedValues;

        Assert.Equal([Start, Start.AddMinutes(10)], values.Select(v => v.From));
        Assert.Equal([1.0, 3.0], values.Select(v => v.Value!.Value));
    }

    [Fact]
    public async Task A_customer_sees_only_its_own_devices_and_an_admin_query_spans_customers()
    {
        var (mine, theirs) = (Guid.NewGuid(), Guid.NewGuid());
        var (myDevice, theirDevice) = (Guid.NewGuid(), Guid.NewGuid());
        var far = Start.AddYears(-30);   // a time no other test writes at
        await Write([new(mine, myDevice, far, 1), new(theirs, theirDevice, far, 2)]);

        var asMine = await Read(mine, far, far.AddMinutes(5), 5);
        var asMineAskingForTheirs = await dataSourceReader.ReadAsync(new(mine, [theirDevice], far, far.AddMinutes(5), 5), default);
        var asAdmin = await dataSourceReader.ReadAsync(new(null, null, far, far.AddMinutes(5), 5), default);

        Assert.Equal([myDevice], asMine.Select(a => a.DeviceId));
        Assert.Empty(asMineAskingForTheirs);
        Assert.Equal(new[] { mine, theirs }.Order(), asAdmin.Select(a => a.CustomerId).Order());
    }

    [Fact]
    public async Task No_readings_in_range_is_an_empty_list()
    {
        Assert.Empty(await Read(Guid.NewGuid(), Start, Start.AddDays(1), 5));
    }

    [Fact]
    public async Task Timestamps_keep_microsecond_precision()
    {
        var (customer, device) = (Guid.NewGuid(), Guid.NewGuid());
        var precise = Start.AddTicks(9_509_010);   // 0.950901 s, as in the sample data
        await Write([new(customer, device, precise, 4)]);

        await using var command = dataSource.CreateCommand("SELECT recorded_at FROM readings WHERE series_id = $1");
        command.Parameters.Add(new() { Value = device });
        Assert.Equal(precise, (DateTime)(await command.ExecuteScalarAsync())!);
    }

    private DeviceAggregatesReader dataSourceReader => new(dataSource);

    private Task<IngestOutcome> Write(IReadOnlyList<ReadingToStore> readings) => new ReadingsWriter(dataSource).WriteAsync(readings, default);

    private Task<IngestOutcome> WriteSeed(IEnumerable<SeedReading> readings) =>
        Write(readings.Select(r => new ReadingToStore(r.CustomerId, r.DeviceId, r.RecordedAt, r.Reading)).ToList());

    private Task<IReadOnlyList<DeviceAggregate>> Read(Guid customer, DateTimeOffset from, DateTimeOffset to, int aggregationSizeMinutes) =>
        dataSourceReader.ReadAsync(new AggregateRequest(customer, null, from, to, aggregationSizeMinutes), default);

    /// <summary>The seed's readings under fresh customer and device ids (same values, same times).</summary>
    private static List<SeedReading> Renamed(IReadOnlyList<SeedReading> seed)
    {
        var customer = Guid.NewGuid();
        var devices = seed.Select(r => r.DeviceId).Distinct().ToDictionary(d => d, _ => Guid.NewGuid());
        return seed.Select(r => r with { CustomerId = customer, DeviceId = devices[r.DeviceId] }).ToList();
    }
}
