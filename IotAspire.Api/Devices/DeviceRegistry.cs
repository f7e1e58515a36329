using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Devices;

/// <summary>
/// The SQL of device provisioning on the <c>devices</c> table the ingest path reads: a row is a device's
/// owner. Readings are not moved: those already stored stay with the customer that sent them.
/// </summary>
public sealed class DeviceRegistry(NpgsqlDataSource dataSource)
{
    private const string Register = """
        INSERT INTO devices (id, customer_id, first_seen_at) VALUES (@device_id, @customer_id, now())
        ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id
        """;

    private const string Remove = "DELETE FROM devices WHERE id = @device_id";

    /// <summary>Registers the device to the customer, or moves it there from another.</summary>
    public async Task RegisterAsync(Guid deviceId, Guid customerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Register);
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <returns>Whether there was such a device.</returns>
    public async Task<bool> RemoveAsync(Guid deviceId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Remove);
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }
}
