namespace IotAspire.DeviceSimulator;

public sealed record SimulatedReading(DateTimeOffset Timestamp, double Reading, Guid DeviceId);

/// <summary>
/// Readings that look like a real fleet's: each device follows a daily cycle (warmest mid-afternoon) with
/// its own offset plus noise; now and then a reading arrives late, or a device sends one again.
/// </summary>
public sealed class ReadingGenerator(IReadOnlyList<Guid> devices, Random random)
{
    private readonly Guid[] deviceIds = [.. devices];
    private readonly Queue<SimulatedReading> recent = new();

    public IReadOnlyList<Guid> DeviceIds => deviceIds;

    public List<SimulatedReading> Next(int count, DateTimeOffset now)
    {
        var batch = new List<SimulatedReading>(count);
        for (var i = 0; i < count; i++)
        {
            if (recent.Count > 0 && random.NextDouble() < 0.03)
            {
                batch.Add(recent.ElementAt(random.Next(recent.Count)));   // a duplicate: devices retry
                continue;
            }

            var device = random.Next(deviceIds.Length);
            var late = random.NextDouble() < 0.05 ? TimeSpan.FromMinutes(random.Next(1, 30)) : TimeSpan.Zero;
            // Microsecond timestamps, distinct per reading, as the devices of the original system sent them.
            // Whole microseconds: what PostgreSQL stores, and all the API accepts.
            var timestamp = TruncateToMicroseconds(now - late - TimeSpan.FromMicroseconds(random.Next(0, 1_000_000)));
            var reading = new SimulatedReading(timestamp, Math.Round(Value(device, timestamp), 3), deviceIds[device]);
            batch.Add(reading);
            recent.Enqueue(reading);
            if (recent.Count > 100)
            {
                recent.Dequeue();
            }
        }

        return batch;
    }

    private double Value(int device, DateTimeOffset at)
    {
        var hours = at.UtcDateTime.TimeOfDay.TotalHours;
        var daily = Math.Sin((hours - 9) / 24 * 2 * Math.PI);   // peak at 15:00 UTC
        return 20 + device * 1.5 + 5 * daily + (random.NextDouble() - 0.5);
    }

    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset time) =>
        new(time.Ticks - time.Ticks % TimeSpan.TicksPerMicrosecond, time.Offset);
}
