using System.Diagnostics;

namespace IotAspire.Bench;

/// <summary>Median and 95th percentile of repeated runs, in milliseconds.</summary>
public sealed record Percentiles(double P50, double P95)
{
    public static async Task<Percentiles> MeasureAsync(int warmups, int iterations, Func<Task> run)
    {
        for (var i = 0; i < warmups; i++)
        {
            await run();
        }

        var times = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            await run();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return new Percentiles(At(times, 0.50), At(times, 0.95));
    }

    // Nearest rank: the value below which the given share of the runs fall.
    private static double At(double[] sorted, double share) => sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Length) - 1, 0, sorted.Length - 1)];
}
