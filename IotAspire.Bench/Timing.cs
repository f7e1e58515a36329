using System.Diagnostics;

namespace IotAspire.Bench;

/// <summary>Median and 95th percentile of repeated runs, in milliseconds, and how many runs they are of.</summary>
public sealed record Percentiles(double P50, double P95, int Runs)
{
    /// <summary>A slow shape stops after this long once it has <see cref="MinimumRuns"/> runs, so one shape cannot hold up the run.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    public const int MinimumRuns = 5;

    public static async Task<Percentiles> MeasureAsync(int warmups, int iterations, Func<Task> run)
    {
        for (var i = 0; i < warmups; i++)
        {
            await run();
        }

        var times = new List<double>(iterations);
        var spent = Stopwatch.StartNew();
        while (times.Count < iterations && (times.Count < MinimumRuns || spent.Elapsed < Budget))
        {
            var clock = Stopwatch.StartNew();
            await run();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        return Of(times);
    }

    public static Percentiles Of(IReadOnlyCollection<double> times)
    {
        var sorted = times.Order().ToArray();
        return new Percentiles(At(sorted, 0.50), At(sorted, 0.95), sorted.Length);
    }

    // Nearest rank: the value below which the given share of the runs fall.
    private static double At(double[] sorted, double share) => sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Length) - 1, 0, sorted.Length - 1)];
}
