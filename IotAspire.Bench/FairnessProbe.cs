using System.Diagnostics;

namespace IotAspire.Bench;

/// <summary>How a heavy request ended: answered, refused for now (RESOURCE_EXHAUSTED, 429 with Retry-After), or failed otherwise.</summary>
public enum HeavyOutcome
{
    Answered,
    Refused,
    Failed,
}

/// <summary>
/// Customer B's light reads, timed alone and then while customer A keeps <see cref="Parallel"/> heavy reads
/// running (each of A's clients sends its next as soon as the last is answered or refused).
/// </summary>
public sealed record FairnessResult(Percentiles LightIdle, Percentiles LightLoaded, int Parallel, int HeavyAnswered, int HeavyRefused, int HeavyFailed)
{
    /// <summary>B's p95 while A runs its heavy reads, as a multiple of B's p95 alone (the bound: 3).</summary>
    public double P95Ratio => LightLoaded.P95 / LightIdle.P95;
}

public static class FairnessProbe
{
    /// <summary>
    /// Times <paramref name="light"/> <paramref name="samples"/> times alone, then starts <paramref name="parallel"/>
    /// clients sending <paramref name="heavy"/> one after another, waits <paramref name="settle"/> for them to be under
    /// way, times <paramref name="light"/> as many times again, and stops the heavy clients (cancelling what runs).
    /// </summary>
    public static async Task<FairnessResult> RunAsync(
        Func<CancellationToken, Task<HeavyOutcome>> heavy, Func<CancellationToken, Task> light, int parallel, int samples, TimeSpan settle, CancellationToken ct)
    {
        var idle = await TimeAsync(light, samples, ct);

        var (answered, refused, failed) = (0, 0, 0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clients = Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HeavyOutcome outcome;
                try
                {
                    outcome = await heavy(stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }

                _ = outcome switch
                {
                    HeavyOutcome.Answered => Interlocked.Increment(ref answered),
                    HeavyOutcome.Refused => Interlocked.Increment(ref refused),
                    _ => Interlocked.Increment(ref failed),
                };
                if (outcome == HeavyOutcome.Refused)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);   // a client backing off
                }
            }
        })).ToArray();

        await Task.Delay(settle, ct);
        var loaded = await TimeAsync(light, samples, ct);
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        return new FairnessResult(idle, loaded, parallel, answered, refused, failed);
    }

    // One light read after another with a pause between, as a dashboard refreshing its panels would send them.
    private static async Task<Percentiles> TimeAsync(Func<CancellationToken, Task> light, int samples, CancellationToken ct)
    {
        await light(ct);   // the connection and the JIT warm, untimed
        var times = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            var clock = Stopwatch.StartNew();
            await light(ct);
            times.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }

        return Percentiles.Of(times);
    }
}
