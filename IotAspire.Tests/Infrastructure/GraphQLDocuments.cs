namespace IotAspire.Tests.Infrastructure;

/// <summary>The GraphQL documents the tests send, written once, as a device or a customer's tool sends them.</summary>
public static class GraphQLDocuments
{
    public const string Ingest = """
        mutation Ingest($readings: [ReadingInput!]!) { ingestReadings(readings: $readings) { inserted updated unchanged } }
        """;

    public const string Aggregates = """
        query Aggregates($from: DateTime, $to: DateTime, $size: Int, $customerId: UUID) {
          deviceAggregates(from: $from, to: $to, aggregationSizeMinutes: $size, customerId: $customerId) {
            deviceId customerId from to aggregationSizeMinutes aggregatedValues { from value }
          }
        }
        """;

    public const string Devices = "query Devices($customerId: UUID) { devices(customerId: $customerId) { id customerId readingCount } }";

    public const string RegisterDevice = "mutation($d: UUID!, $c: UUID!) { registerDevice(deviceId: $d, customerId: $c) { id customerId readingCount } }";

    public const string RemoveDevice = "mutation($d: UUID!) { removeDevice(deviceId: $d) }";

    public const string CreateDeviceToken = """
        mutation($d: UUID!, $c: UUID) { createDeviceToken(deviceId: $d, customerId: $c) { token deviceToken { id deviceId customerId createdAt createdBy revokedAt } } }
        """;

    public const string RevokeDeviceToken = "mutation($id: UUID!) { revokeDeviceToken(id: $id) { id revokedAt } }";

    public const string DeviceTokens = "query($d: UUID, $c: UUID) { deviceTokens(deviceId: $d, customerId: $c) { id deviceId customerId revokedAt } }";

    public const string ReadingsIngested = "subscription($d: [UUID!], $c: UUID) { readingsIngested(deviceIds: $d, customerId: $c) { deviceId customerId timestamp reading } }";

    public const string DeviceAggregateUpdated = """
        subscription($d: [UUID!], $size: Int, $c: UUID) {
          deviceAggregateUpdated(deviceIds: $d, aggregationSizeMinutes: $size, customerId: $c) { deviceId customerId aggregationSizeMinutes aggregatedValues { from value } }
        }
        """;
}
