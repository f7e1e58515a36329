namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// A value ready to store: its customer already decided from the caller's rights, its key checked
/// (<see cref="Readings.TelemetryKey"/>), its series id made from the device and key (<see cref="SeriesIds"/>).
/// </summary>
public sealed record ReadingToStore(Guid CustomerId, Guid DeviceId, DateTimeOffset RecordedAt, double Value, string Key = SeriesIds.DeviceKey)
{
    public Guid SeriesId { get; } = SeriesIds.Of(DeviceId, Key);
}
