namespace IotAspire.Bench;

/// <summary>
/// One customer's heavy reads beside another's light ones (<see cref="FairnessProbe"/>): the first customer runs
/// <see cref="Parallel"/> <c>deviceAggregates</c> reads of 30 days of 1-minute buckets of two devices with the mean,
/// stddev, first, last and two percentiles, LINEAR fill (the noisy neighbour), while the second customer
/// lists its devices.
/// </summary>
public sealed class FairnessBench(SystemClient client, DataSet data)
{
    public const int Parallel = 6;

    public const string Heavy = """
        query($from: DateTime, $to: DateTime, $ids: [UUID!]) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: 1, deviceIds: $ids, fill: LINEAR) {
            deviceId aggregatedValues { from value stddev first last p50: percentile(p: 0.5) p95: percentile(p: 0.95) }
          }
        }
        """;

    public const string Light = "{ devices { id readingCount lastReadingAt } }";

    /// <summary>Heavy by its cost (30 days of 1-minute buckets of two devices), cheap where readings are few: means only, no fill.</summary>
    public const string HeavyMeans = """
        query($from: DateTime, $to: DateTime, $ids: [UUID!]) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: 1, deviceIds: $ids) { deviceId aggregatedValues { from value } }
        }
        """;

    public async Task<FairnessResult> RunAsync(int samples, Action<string> progress, CancellationToken ct)
    {
        // Signed in once each, before the heavy clients start: six sign-ins at once would meet the sign-in throttle,
        // and the probe lasts seconds, well within a token's five minutes.
        var heavyToken = await client.CustomerTokenAsync("bench-customer-0", DataSet.Customer(0), ct);
        var lightToken = await client.CustomerTokenAsync("bench-customer-1", DataSet.Customer(1), ct);
        var heavy = SystemClient.Request(Heavy, new { from = BenchOptions.DataEnd.AddDays(-30), to = BenchOptions.DataEnd, ids = data.DevicesOf(0).Take(2).ToArray() });
        var light = SystemClient.Request(Light, new { });
        progress($"fairness: customer B's devices while customer A runs {Parallel} heavy reads");
        return await FairnessProbe.RunAsync(
            async c => Outcome(await client.GraphQLOutcomeAsync(heavy, heavyToken, c)),
            async c => await client.GraphQLAsync(light, lightToken, c),
            Parallel, samples, TimeSpan.FromSeconds(2), ct);
    }

    public static HeavyOutcome Outcome((int Status, string? ErrorCode) answer) => answer switch
    {
        (200, null) => HeavyOutcome.Answered,
        (429, "RESOURCE_EXHAUSTED") => HeavyOutcome.Refused,
        _ => HeavyOutcome.Failed,
    };
}
