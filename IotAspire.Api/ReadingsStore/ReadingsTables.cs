namespace IotAspire.Api.ReadingsStore;

/// <summary>The readings database's tables as other code must name them: only through the store.</summary>
public static class ReadingsTables
{
    /// <summary>
    /// What Grafana's read-only role may read (Grafana/GrafanaReadAccess.cs grants it): the readings, devices and their series, every
    /// rollup, the per-minute ingest counts, the pending rows and their spans (so its panels are exact), and the alert
    /// history. Never the device tokens, accounts or webhooks.
    /// </summary>
    public static readonly IReadOnlyList<string> GrafanaReadable =
    [
        "readings", "devices", Series.Table, .. ReadingRollups.All.Select(grain => grain.Table), "ingested_per_minute",
        PendingRollups.Table, PendingRollups.SpansView, PendingAlerts.EventsTable,
    ];
}
