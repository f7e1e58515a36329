namespace IotAspire.Api.ReadingsStore;

/// <summary>A reading ready to store: its customer already decided from the caller's rights.</summary>
public sealed record ReadingToStore(Guid CustomerId, Guid DeviceId, DateTimeOffset RecordedAt, double Value);
