namespace IotAspire.Bench;

/// <summary>
/// The running system a benchmark measures: the API and token service over HTTP, the readings database as
/// the API's own role (to generate data and time raw SQL beside the API) and as Grafana's read-only role; the API's MQTT
/// listener (tcp://host:port) where the system has one.
/// </summary>
public sealed record BenchTarget(
    Uri Api, Uri Auth, string AdminUserName, string AdminPassword, string ReadingsOwnerConnectionString, string GrafanaReaderConnectionString,
    Uri? Mqtt = null);
