using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.LiveUpdates;

/// <summary>Configured under <c>LiveUpdates</c>; checked at start.</summary>
public sealed class LiveUpdatesOptions
{
    public const string Section = "LiveUpdates";

    /// <summary>
    /// Committed batches one subscription may have waiting to be read from the database and sent. A
    /// subscription that falls this far behind ends (its connection closes as too slow) instead of
    /// holding ever more memory.
    /// </summary>
    [Range(1, 100_000)]
    public int SubscriptionBuffer { get; set; } = 1_000;
}
