namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// The alerts feature's tables, named once for the database's schema (the store owns the schema and its migrations):
/// <see cref="Table"/> holds the devices with rules whose readings a pass folded (Alerts/FoldedSeriesNote.cs).
/// </summary>
public static class PendingAlerts
{
    public const string Table = "alert_pending";
    public const string RulesTable = "alert_rules";
    public const string EventsTable = "alert_events";
}
