namespace IotAspire.Api.ReadingsStore;

/// <summary>A reading as committed, with its key: a page's reading, and what <c>readingsIngested</c> sends.</summary>
public sealed record StoredReading(Guid DeviceId, Guid CustomerId, DateTimeOffset Timestamp, double Reading)
{
    [System.ComponentModel.Description("The value's key (reading for readings sent without one).")]
    public string Key { get; init; } = SeriesIds.DeviceKey;
}
