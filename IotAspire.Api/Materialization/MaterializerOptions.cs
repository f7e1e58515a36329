using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.Materialization;

/// <summary>Configured under <c>Materializer</c>; checked at start.</summary>
public sealed class MaterializerOptions
{
    public const string Section = "Materializer";

    /// <summary>
    /// False: the rollups are not brought up to date on this replica (another replica's materializer still does;
    /// answers stay exact either way, reading more readings the longer rows wait). Tests turn it off to see
    /// answers while everything is pending.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The pause after a pass that found less than a full pass of work. Short: lag is this plus a pass; a pass
    /// over few rows costs little.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the replica running passes vacuums the pending table (a queue whose rows live seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan VacuumInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pending rows (one per batch and customer) one pass takes: bounds its transaction and the locks it holds.</summary>
    [Range(1, 1_000_000)]
    public int MaxRowsPerPass { get; set; } = 5_000;

    /// <summary>
    /// Connections that fold a pass's groups of customers at once (each group's fold on one connection, the first in
    /// the pass's transaction, the others each in their own). More than one lets the folds of different groups
    /// overlap, on Citus on different workers. 4: under the bench's smart-meter ingest the rollups' lag at p95 was
    /// 4.1 and 4.3 s on the Citus cluster against 7.3 to 7.7 s with 1 (5.9 s with 2), and 1.6 s on one server against
    /// 4.4 s (bench/results/2026-12-07-telemetry-keys.md, "Fourth pass").
    /// </summary>
    [Range(1, 16)]
    public int FoldConnections { get; set; } = 4;
}
