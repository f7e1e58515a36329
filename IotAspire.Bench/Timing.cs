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

    /// <summary>
    /// Two runs measured side by side: each timed run of one is next to one of the other (which goes first alternates), so
    /// a change in this shared machine's load falls on both alike and their ratio stays meaningful.
    /// </summary>
    public static async Task<(Percentiles A, Percentiles B)> MeasurePairAsync(int warmups, int iterations, Func<Task> a, Func<Task> b)
    {
        for (var i = 0; i < warmups; i++)
        {
            await a();
            await b();
        }

        var (timesA, timesB) = (new List<double>(iterations), new List<double>(iterations));
        var spent = Stopwatch.StartNew();
        while (timesA.Count < iterations && (timesA.Count < MinimumRuns || spent.Elapsed < 2 * Budget))
        {
            foreach (var (run, times) in timesA.Count % 2 == 0 ? [(a, timesA), (b, timesB)] : new[] { (b, timesB), (a, timesA) })
            {
                var clock = Stopwatch.StartNew();
                await run();
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return (Of(timesA), Of(timesB));
    }

    public static Percentiles Of(IReadOnlyCollection<double> times)
    {
        var sorted = times.Order().ToArray();
        return new Percentiles(At(sorted, 0.50), At(sorted, 0.95), sorted.Length);
    }

    // Nearest rank: the value below which the given share of the runs fall.
    private static double At(double[] sorted, double share) => sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Length) - 1, 0, sorted.Length - 1)];
}
