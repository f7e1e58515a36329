using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.Retention;

/// <summary>Configured under <c>Retention</c>; checked at start. The periods themselves are per customer, set by an administrator.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>False: the job does not run on its own (an administrator can still run it with <c>runRetention</c>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the job runs; the first run is one <see cref="FirstRunDelay"/> after start.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan FirstRunDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Rows one delete statement removes. Each statement holds its device's row (which the materializer's count
    /// update also takes) for its duration: 10 000 readings took at most 36 ms here
    /// (bench/results/2026-11-28-retention-delete.md).
    /// </summary>
    [Range(100, 1_000_000)]
    public int BatchSize { get; set; } = 10_000;

    /// <summary>
    /// Days a finished webhook delivery (DELIVERED or FAILED) is kept, for every customer, with or without a retention
    /// period: long enough to find out why a webhook failed. The alert changes themselves follow the customer's period.
    /// </summary>
    [Range(1, 3_650)]
    public int KeepDeliveriesDays { get; set; } = 30;
}
