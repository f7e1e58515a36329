using IotAspire.Api.Errors;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>A device with the span and count of its readings (<c>Device</c> in the GraphQL schema).</summary>
public sealed record DeviceSummary(Guid Id, Guid CustomerId, DateTimeOffset? FirstReadingAt, DateTimeOffset? LastReadingAt, int ReadingCount);

/// <summary>The devices of one customer (or all, for administrators) with the span and count of their readings.</summary>
public sealed class DevicesReader(NpgsqlDataSource dataSource)
{
    // Counts and spans are kept on the device row by the materializer and by provisioning: this reads one row
    // per device, however many readings it has, plus what its pending readings add (PendingRollups.CountsView).
    private const string DevicesColumns = "d.id, d.customer_id, LEAST(d.first_reading_at, p.first_at) AS first_reading_at, "
        + "GREATEST(d.last_reading_at, p.last_at) AS last_reading_at, (d.reading_count + coalesce(p.added, 0))::int AS reading_count";

    // A customer's devices: every table filtered by the customer (on Citus, routed to its worker).
    private static readonly string CustomerDevices = $"""
        SELECT {DevicesColumns}
        FROM devices d
        LEFT JOIN ({PendingRollups.CountsQuery("@customer_id")}) p ON p.device_id = d.id
        WHERE d.customer_id = @customer_id AND (@device_id::uuid IS NULL OR d.id = @device_id)
        ORDER BY d.customer_id, d.id
        LIMIT @max_devices + 1
        """;

    // Every customer's (administrators): on Citus a query of every worker.
    private const string EveryDevice = $"""
        SELECT {CitusDistribution.EveryCustomerMarker} {DevicesColumns}
        FROM devices d
        LEFT JOIN {PendingRollups.CountsView} p ON p.customer_id = d.customer_id AND p.device_id = d.id
        WHERE (@device_id::uuid IS NULL OR d.id = @device_id)
        ORDER BY d.customer_id, d.id
        LIMIT @max_devices + 1
        """;

    /// <summary>Devices one answer may list; an administrator with more names a customer.</summary>
    public const int MaxDevicesPerAnswer = 10_000;

    /// <param name="customerId">Only this customer's devices; null for every customer (administrators).</param>
    /// <param name="deviceId">Only this device; null for all.</param>
    /// <param name="ct">Cancels the query.</param>
    public async Task<IReadOnlyList<DeviceSummary>> ReadAsync(Guid? customerId, CancellationToken ct, Guid? deviceId = null)
    {
        await using var command = dataSource.CreateCommand(customerId is null ? EveryDevice : CustomerDevices);
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId is { } id ? id : DBNull.Value });
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId is { } device ? device : DBNull.Value });
        command.Parameters.Add(new("max_devices", NpgsqlDbType.Integer) { Value = MaxDevicesPerAnswer });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var devices = new List<DeviceSummary>();
        while (await reader.ReadAsync(ct))
        {
            if (devices.Count == MaxDevicesPerAnswer)
            {
                throw ApiErrors.BadInput($"There are more than {MaxDevicesPerAnswer} devices; name a customerId to list one customer's.");
            }

            devices.Add(new DeviceSummary(
                reader.GetGuid(reader.GetOrdinal("id")), reader.GetGuid(reader.GetOrdinal("customer_id")),
                reader.GetFieldValue<DateTimeOffset?>(reader.GetOrdinal("first_reading_at")),
                reader.GetFieldValue<DateTimeOffset?>(reader.GetOrdinal("last_reading_at")),
                reader.GetInt32(reader.GetOrdinal("reading_count"))));
        }

        return devices;
    }
}
