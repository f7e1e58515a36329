namespace IotAspire.Load;

/// <summary>What a load run sent and what the system stored, side by side.</summary>
public sealed record LoadReport(
    int Devices, TimeSpan Elapsed, long BatchesAcknowledged, long BatchesResent, long FailedAttempts,
    long ReadingsSent, long DistinctReadings, long ReadingsStored, int BucketsCompared, int BucketsDiffering,
    long? ApiMemoryStartBytes, long? ApiMemoryPeakBytes, long? ApiMemoryEndBytes)
{
    /// <summary>Nothing lost, nothing twice, every mean as computed here.</summary>
    public bool Exact => ReadingsStored == DistinctReadings && BucketsDiffering == 0;

    public override string ToString() =>
        $"""
        devices: {Devices}, elapsed: {Elapsed.TotalSeconds:0} s
        batches acknowledged: {BatchesAcknowledged} (resent on purpose: {BatchesResent}), failed attempts retried: {FailedAttempts}
        readings sent: {ReadingsSent} ({ReadingsSent / Math.Max(1, Elapsed.TotalSeconds):0}/s), distinct (device, timestamp): {DistinctReadings}, stored: {ReadingsStored}
        hourly means compared: {BucketsCompared}, differing: {BucketsDiffering}
        API memory (RSS): start {Mb(ApiMemoryStartBytes)}, peak {Mb(ApiMemoryPeakBytes)}, end {Mb(ApiMemoryEndBytes)}
        verdict: {(Exact ? "exact: nothing lost, nothing twice" : "MISMATCH")}
        """;

    private static string Mb(long? bytes) => bytes is { } b ? $"{b / 1024.0 / 1024:0} MB" : "n/a";
}
