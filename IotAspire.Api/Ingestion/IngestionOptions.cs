using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.Ingestion;

/// <summary>Configured under <c>Ingestion</c>; checked at start.</summary>
public sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    /// <summary>Readings one <c>ingestReadings</c> call may carry. One batch is one statement with array
    /// parameters, so the bound keeps a statement's memory and lock time small.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>
    /// False (the default, as the original system behaved): a device belongs to the first customer that
    /// sends it. True: only devices an administrator registered (<c>registerDevice</c>) may send, and an
    /// unknown device and another customer's get the same answer, so ids cannot be probed.
    /// </summary>
    public bool RequireRegisteredDevices { get; set; }
}
