namespace IotAspire.Tests.Infrastructure;

/// <summary>
/// One device's readings as numbered <c>ingestReadings</c> batches, the same whenever one is sent again: batch
/// <c>n</c> holds the minutes <c>n * size</c> to <c>(n + 1) * size - 1</c> after <paramref name="Start"/>. What the
/// fault tests send, count as acknowledged or failed, and retry.
/// </summary>
public sealed record NumberedBatches(Guid Device, DateTimeOffset Start, int Size)
{
    /// <summary>The variables of batch <paramref name="index"/> for <see cref="GraphQLDocuments.Ingest"/>.</summary>
    public object Variables(int index) => new
    {
        readings = Enumerable.Range(0, Size).Select(i => new
        {
            timestamp = Start.AddMinutes((index * Size) + i).ToString("O"),
            reading = index + (i / 100.0),
            deviceId = Device,
        }),
    };

    /// <summary>The timestamps of batch <paramref name="index"/>'s readings (UTC).</summary>
    public IEnumerable<DateTime> Times(int index) => Enumerable.Range(0, Size).Select(i => Start.AddMinutes((index * Size) + i).UtcDateTime);
}
