using IotAspire.Api.Data;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Devices;

/// <summary>
/// The SQL of device provisioning on the <c>devices</c> table the ingest path reads: a row is a device's
/// owner. Readings are not moved: those already stored stay with the customer that sent them.
/// </summary>
public sealed class DeviceRegistry(NpgsqlDataSource dataSource)
{
    // The device's count and span are those of its readings under the customer it now belongs to: on a
    // move they start again from what that customer has stored for it (usually nothing).
    // Its count is what the rollups hold (PendingRollups.FoldedCount): the materializer adds what is pending.
    private static readonly string Register = $$"""
        INSERT INTO devices (id, customer_id, first_seen_at, reading_count, first_reading_at, last_reading_at)
        SELECT @device_id, @customer_id, now(), {{PendingRollups.FoldedCount("@customer_id", "@device_id")}}, min(recorded_at), max(recorded_at)
        FROM readings WHERE customer_id = @customer_id AND device_id = @device_id
        ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
                                       reading_count = EXCLUDED.reading_count,
                                       first_reading_at = EXCLUDED.first_reading_at,
                                       last_reading_at = EXCLUDED.last_reading_at
        """;

    // A device's tokens belong to the customer it belonged to when they were made: moving the device away
    // revokes them, and so does removing it (or a token could claim it again for its old customer).
    private const string RevokeTokensOfOthers = """
        UPDATE device_tokens SET revoked_at = now()
        WHERE device_id = @device_id AND customer_id <> @customer_id AND revoked_at IS NULL
        """;

    private const string Remove = """
        WITH revoked AS (UPDATE device_tokens SET revoked_at = now() WHERE device_id = @device_id AND revoked_at IS NULL)
        DELETE FROM devices WHERE id = @device_id
        """;

    /// <summary>Registers the device to the customer, or moves it there from another.</summary>
    public async Task RegisterAsync(Guid deviceId, Guid customerId, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var sql in new[] { PendingRollups.HoldOffMaterializerSql, Register, RevokeTokensOfOthers })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
            command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
            batch.BatchCommands.Add(command);
        }

        // One round trip, one implicit transaction: the move and the revocation happen together.
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <returns>Whether there was such a device.</returns>
    public async Task<bool> RemoveAsync(Guid deviceId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Remove);
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }
}
