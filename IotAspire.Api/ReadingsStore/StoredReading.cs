namespace IotAspire.Api.ReadingsStore;

/// <summary>A reading as committed: what <c>readingsIngested</c> sends.</summary>
public sealed record StoredReading(Guid DeviceId, Guid CustomerId, DateTimeOffset Timestamp, double Reading);
