using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.Readings;

/// <summary>What the ingest statement receives: one row per (device, time), the batch's last, in key order.</summary>
public sealed class LastPerKeyTests
{
    private static readonly Guid Customer = Guid.Parse("0b6a4a5e-3b41-4a0c-9a11-0c9d2b8f0e01");
    private static readonly Guid DeviceA = Guid.Parse("00000000-0000-4000-8000-00000000000a");
    private static readonly Guid DeviceB = Guid.Parse("00000000-0000-4000-8000-00000000000b");
    private static readonly DateTimeOffset At = new(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_last_reading_of_a_device_and_time_wins_and_rows_come_in_device_then_time_order()
    {
        var rows = ReadingsWriter.LastPerKey(
        [
            new(Customer, DeviceB, At.AddMinutes(1), 1),
            new(Customer, DeviceA, At.AddMinutes(2), 2),
            new(Customer, DeviceB, At, 3),
            new(Customer, DeviceA, At.AddMinutes(2), 4),      // same device and time as the second: replaces it
            new(Customer, DeviceA, At.ToOffset(TimeSpan.FromHours(2)).AddMinutes(2), 5),   // the same instant, written in another offset
            new(Customer, DeviceA, At, 6),
        ]);

        Assert.Equal([(DeviceA, At, 6.0), (DeviceA, At.AddMinutes(2), 5.0), (DeviceB, At, 3.0), (DeviceB, At.AddMinutes(1), 1.0)],
            rows.Select(r => (r.DeviceId, r.RecordedAt.ToUniversalTime(), r.Value)));
    }

    [Fact]
    public void A_batch_without_repeats_keeps_every_reading()
    {
        var batch = Enumerable.Range(0, 1_000).Select(i => new ReadingToStore(Customer, i % 2 == 0 ? DeviceA : DeviceB, At.AddSeconds(-i), i)).ToList();

        var rows = ReadingsWriter.LastPerKey(batch);

        Assert.Equal(batch.Select(r => r.Value).Order(), rows.Select(r => r.Value).Order());
        Assert.True(rows.Zip(rows.Skip(1)).All(p => p.First.DeviceId.CompareTo(p.Second.DeviceId) < 0
            || (p.First.DeviceId == p.Second.DeviceId && p.First.RecordedAt < p.Second.RecordedAt)));
    }

    [Fact]
    public void A_fresh_batch_pending_rows_are_one_per_customer_with_each_devices_span_and_count()
    {
        var other = Guid.Parse("0b6a4a5e-3b41-4a0c-9a11-0c9d2b8f0e02");
        var deviceC = Guid.Parse("00000000-0000-4000-8000-00000000000c");
        var rows = ReadingsWriter.LastPerKey(
        [
            new(Customer, DeviceB, At.AddMinutes(2), 1), new(other, deviceC, At, 2), new(Customer, DeviceA, At.AddMinutes(1), 3),
            new(Customer, DeviceB, At, 4), new(Customer, DeviceA, At.AddMinutes(1), 5), new(Customer, DeviceB, At.AddMinutes(1), 6),
        ]);

        var pending = ReadingsWriter.PendingOfBatch(rows).ToDictionary(p => p.CustomerId);

        Assert.Equal(2, pending.Count);
        Assert.Equal([DeviceA, DeviceB], pending[Customer].SeriesIds);
        Assert.Equal([1, 3], pending[Customer].Counts);   // DeviceA's repeated reading counts once
        Assert.Equal([At.AddMinutes(1).UtcDateTime, At.UtcDateTime], pending[Customer].FirstAt);
        Assert.Equal([At.AddMinutes(1).UtcDateTime, At.AddMinutes(2).UtcDateTime], pending[Customer].LastAt);
        Assert.Equal([deviceC], pending[other].SeriesIds);
        Assert.Equal([1], pending[other].Counts);
    }
}
