namespace IotAspire.Api.Ingestion;

/// <summary>A reading as a device sent it; <see cref="CustomerId"/> may be left out by a customer (it is its own).</summary>
public sealed record SentReading(DateTimeOffset Timestamp, double Reading, Guid DeviceId, Guid? CustomerId);
