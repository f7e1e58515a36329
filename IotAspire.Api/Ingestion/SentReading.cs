using System.ComponentModel;

namespace IotAspire.Api.Ingestion;

/// <summary>
/// A reading as a device sent it; <see cref="CustomerId"/> may be left out by a customer (it is its own), <see cref="Key"/>
/// by anyone (the value is then stored under <c>reading</c>, as every value was before keys).
/// </summary>
public sealed record SentReading(
    DateTimeOffset Timestamp, double Reading, Guid DeviceId, Guid? CustomerId,
    [property: Description("The value's key (temperature, power.l1: 1-64 letters, digits, '_', '.', '-'); reading when left out.")] string? Key = null);

/// <summary>
/// One message of a device: several named values measured at one time (<c>ingestMessages</c>). <see cref="CustomerId"/>
/// as in <see cref="SentReading"/>: an administrator names it, a customer may leave it out.
/// </summary>
public sealed record SentMessage(
    Guid DeviceId, DateTimeOffset Timestamp, IReadOnlyList<SentValue> Values,
    [property: Description("Administrators: the device's customer. Customers may leave it out (their own); a device token's device belongs to one.")] Guid? CustomerId = null);

/// <summary>A named value of a message.</summary>
public sealed record SentValue(string Key, double Value);
