using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// The SQL of device provisioning on the <c>devices</c> table the ingest path reads: a row is a device's
/// owner. Readings are not moved: those already stored stay with the customer that sent them.
/// </summary>
public sealed class DeviceRegistry(NpgsqlDataSource dataSource)
{
    // The claim moves to the customer; the device's row under its old customer goes (its readings stay there).
    private const string MoveClaim = """
        WITH old AS MATERIALIZED (
            SELECT customer_id FROM device_claims WHERE device_id = @device_id AND customer_id <> @customer_id
        ), claim AS (
            INSERT INTO device_claims (device_id, customer_id, claimed_at) VALUES (@device_id, @customer_id, now())
            ON CONFLICT (device_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, claimed_at = EXCLUDED.claimed_at
        )
        SELECT customer_id FROM old
        """;

    private const string RemoveOldRow = "DELETE FROM devices WHERE customer_id = @old_customer_id AND id = @device_id";

    // The device's row under its new customer (its readings' counts are its series', which stay with the customer that
    // sent them).
    public const string RegisterSql = """
        INSERT INTO devices (id, customer_id, first_seen_at) VALUES (@device_id, @customer_id, now())
        ON CONFLICT (customer_id, id) DO NOTHING
        """;

    // A device's tokens belong to the customer it belonged to when they were made: moving the device away
    // revokes them, and so does removing it (or a token could claim it again for its old customer).
    private const string RevokeTokensOfOthers = """
        UPDATE device_tokens SET revoked_at = now()
        WHERE device_id = @device_id AND customer_id <> @customer_id AND revoked_at IS NULL
        """;

    private const string RevokeTokens = "UPDATE device_tokens SET revoked_at = now() WHERE device_id = @device_id AND revoked_at IS NULL";

    private const string RemoveClaim = "DELETE FROM device_claims WHERE device_id = @device_id RETURNING customer_id";

    /// <summary>The customer a device is claimed by, if any.</summary>
    public async Task<Guid?> OwnerAsync(Guid deviceId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(DeviceOwners.OwnerSql);
        command.Parameters.Add(new() { Value = deviceId });
        return await command.ExecuteScalarAsync(ct) as Guid?;
    }

    /// <summary>Registers the device to the customer, or moves it there from another.</summary>
    public async Task RegisterAsync(Guid deviceId, Guid customerId, CancellationToken ct)
    {
        // One transaction: the claim, the rows and the revocation change together.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        Guid? oldCustomer;
        await using (var move = Command(connection, transaction, MoveClaim, deviceId, customerId))
        {
            oldCustomer = await move.ExecuteScalarAsync(ct) as Guid?;
        }

        if (oldCustomer is { } old)
        {
            await using var remove = Command(connection, transaction, RemoveOldRow, deviceId, customerId);
            remove.Parameters.Add(new("old_customer_id", NpgsqlDbType.Uuid) { Value = old });
            await remove.ExecuteNonQueryAsync(ct);
        }

        await ExecuteAsync(connection, transaction, RegisterSql, deviceId, customerId, ct);
        await ExecuteAsync(connection, transaction, RevokeTokensOfOthers, deviceId, customerId, ct);
        await transaction.CommitAsync(ct);
    }

    /// <returns>Whether there was such a device.</returns>
    public async Task<bool> RemoveAsync(Guid deviceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, transaction, RevokeTokens, deviceId, Guid.Empty, ct);
        await using var removeClaim = Command(connection, transaction, RemoveClaim, deviceId, Guid.Empty);
        if (await removeClaim.ExecuteScalarAsync(ct) is not Guid owner)
        {
            return false;
        }

        await using var remove = Command(connection, transaction, RemoveOldRow, deviceId, Guid.Empty);
        remove.Parameters.Add(new("old_customer_id", NpgsqlDbType.Uuid) { Value = owner });
        await remove.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Guid deviceId, Guid customerId, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, sql, deviceId, customerId);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Guid deviceId, Guid customerId)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        return command;
    }
}
