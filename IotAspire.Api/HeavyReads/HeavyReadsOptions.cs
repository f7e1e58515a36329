using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.HeavyReads;

/// <summary>
/// Configured under <c>HeavyReads</c>; checked at start. How many expensive reads (<see cref="ReadCost"/> at least
/// <see cref="HeavyCost"/>, and every raw export) run at once: per customer, and in all. The rest queue, then are
/// refused with <c>RESOURCE_EXHAUSTED</c> and <c>Retry-After</c>. The defaults leave half the cores to everyone else
/// and, on a small host, let one customer run one heavy read at a time.
/// </summary>
public sealed class HeavyReadsOptions
{
    public const string Section = "HeavyReads";

    /// <summary>The cost (buckets x devices x functions) from which a <c>deviceAggregates</c> read counts as heavy:
    /// 50 000 is a week of 5-minute buckets of five devices with two functions, or a day of 1-minute buckets of
    /// one device with percentiles, stddev, first and last.</summary>
    [Range(1, long.MaxValue)]
    public long HeavyCost { get; set; } = 50_000;

    /// <summary>Heavy reads one customer (or the administrators together) may run at the same time.</summary>
    [Range(1, 256)]
    public int PerCustomer { get; set; } = Math.Max(1, Environment.ProcessorCount / 4);

    /// <summary>Heavy reads of all customers at the same time: each holds a database connection and, in
    /// PostgreSQL, up to a core for its whole run. More than <see cref="PerCustomer"/> (checked at start), so that one
    /// customer's turns (a stalled download, say) always leave a turn for every other customer.</summary>
    [Range(2, 1024)]
    public int InAll { get; set; } = Math.Max(2, Environment.ProcessorCount / 2);

    /// <summary>Heavy reads of one customer that wait for a turn (a dashboard's panels); one more is refused at once.</summary>
    [Range(0, 1024)]
    public int QueuePerCustomer { get; set; } = 4;

    /// <summary>The longest a heavy read waits for its turn before it is refused; below the request timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The slowest a client may take a heavy read's answer (<see cref="StallGuardedResponseBody"/>): a client that stops
    /// reading an export is cut off, its connection aborted (no final chunk, so no file that looks complete), and its
    /// turn ends. 16 KiB/s is far below any link a dashboard is used on; a 64 KiB write may take 4 s past the grace.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MinResponseBytesPerSecond { get; set; } = 16 * 1024;

    /// <summary>How long a heavy answer may go below <see cref="MinResponseBytesPerSecond"/> before it is cut off.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan ResponseGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What a refusal's <c>Retry-After</c> says.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
