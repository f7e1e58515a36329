using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Security;
using IotAspire.Shared.Security;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Devices;

/// <summary>A device token as listed: never its secret, which exists only in the answer that created it.</summary>
public sealed record DeviceTokenSummary(Guid Id, Guid DeviceId, Guid CustomerId, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt);

/// <summary>What creating a token came to: the expected outcomes, as a closed set instead of exceptions.</summary>
public abstract record DeviceTokenCreation
{
    public sealed record Created(DeviceTokenSummary Token) : DeviceTokenCreation;

    /// <summary>The device belongs to another customer: nothing was stored.</summary>
    public sealed record DeviceOfAnotherCustomer : DeviceTokenCreation;

    /// <summary>The device has <see cref="DeviceTokenStore.MaxActiveTokensPerDevice"/> unrevoked tokens already: nothing was stored.</summary>
    public sealed record TooManyActiveTokens : DeviceTokenCreation;
}

/// <summary>What the authentication handler needs of a stored token.</summary>
public sealed record StoredDeviceToken(Guid DeviceId, Guid CustomerId, byte[] SecretHash, bool Revoked)
{
    /// <summary>The device as a caller, as the authentication handler signs it in (for the device protocols, which sign in without ASP.NET's authentication).</summary>
    public Caller AsCaller() => new($"device {DeviceId}", IotRoles.Device, CustomerId, DeviceId);
}

/// <summary>The SQL of device tokens, on the <c>device_tokens</c> table (only hashes of the secrets).</summary>
public sealed class DeviceTokenStore(NpgsqlDataSource dataSource)
{
    private const string Insert = """
        INSERT INTO device_tokens (id, customer_id, device_id, secret_hash, created_at, created_by)
        VALUES (@id, @customer_id, @device_id, @secret_hash, now(), @created_by)
        """;

    private const string Returning = "\nRETURNING id, device_id, customer_id, created_at, created_by, revoked_at";

    private const string List = """
        SELECT id, device_id, customer_id, created_at, created_by, revoked_at FROM device_tokens
        WHERE (@customer_id::uuid IS NULL OR customer_id = @customer_id) AND (@device_id::uuid IS NULL OR device_id = @device_id)
        ORDER BY customer_id, device_id, created_at
        LIMIT @max_tokens
        """;

    // Revoking twice is harmless: the first time stays the revocation time.
    // A token revoked already is answered as it is (the second part reads the snapshot from before the update, so
    // it never answers the row the first part revoked). Not coalesce(revoked_at, now()): Citus refuses now() beside
    // a column reference in an UPDATE's SET.
    private const string Revoke = """
        WITH revoked AS (
            UPDATE device_tokens SET revoked_at = now()
            WHERE id = @id AND (@customer_id::uuid IS NULL OR customer_id = @customer_id) AND revoked_at IS NULL
            RETURNING id, device_id, customer_id, created_at, created_by, revoked_at
        )
        SELECT * FROM revoked
        UNION ALL
        SELECT id, device_id, customer_id, created_at, created_by, revoked_at FROM device_tokens
        WHERE id = @id AND (@customer_id::uuid IS NULL OR customer_id = @customer_id) AND revoked_at IS NOT NULL
        """;

    private const string Find = "SELECT device_id, customer_id, secret_hash, revoked_at IS NOT NULL FROM device_tokens WHERE id = @id";

    public const int MaxTokensPerAnswer = 10_000;

    /// <summary>Enough to rotate a device's token without a gap, few enough that no one fills the table.</summary>
    public const int MaxActiveTokensPerDevice = 10;

    private const string CountActive = "SELECT count(*) FROM device_tokens WHERE device_id = @device_id AND revoked_at IS NULL";

    /// <summary>Stores a token for the device, claiming the device for <paramref name="customerId"/> if no one has.</summary>
    public async Task<DeviceTokenCreation> CreateAsync(Guid id, Guid deviceId, Guid customerId, byte[] secretHash, string createdBy, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await ClaimAsync(connection, transaction, deviceId, customerId, ct))
        {
            return new DeviceTokenCreation.DeviceOfAnotherCustomer();
        }

        await using (var count = new NpgsqlCommand(CountActive, connection, transaction))
        {
            count.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
            if ((long)(await count.ExecuteScalarAsync(ct))! >= MaxActiveTokensPerDevice)
            {
                return new DeviceTokenCreation.TooManyActiveTokens();
            }
        }

        await using var insert = InsertCommand(Insert + Returning, connection, transaction, id, deviceId, customerId, secretHash, createdBy);
        DeviceTokenSummary created;
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            created = Read(reader);
        }

        await transaction.CommitAsync(ct);
        return new DeviceTokenCreation.Created(created);
    }

    /// <summary>
    /// As <see cref="CreateAsync"/> for a token made elsewhere (the AppHost's), leaving one already stored as
    /// it is; false when the device belongs to another customer.
    /// </summary>
    public async Task<bool> EnsureAsync(Guid id, Guid deviceId, Guid customerId, byte[] secretHash, string createdBy, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await ClaimAsync(connection, transaction, deviceId, customerId, ct))
        {
            return false;
        }

        await using var insert = InsertCommand(Insert + "\nON CONFLICT (id) DO NOTHING", connection, transaction, id, deviceId, customerId, secretHash, createdBy);
        await insert.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    // Claimed for the customer if nobody has it, and its row locked until the transaction ends, so concurrent
    // creations count its tokens in turn (ReadingsStore/DeviceOwners.cs, as ingestion claims devices).
    private static async Task<bool> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid deviceId, Guid customerId, CancellationToken ct) =>
        (await DeviceOwners.ClaimAndLockAsync(connection, transaction, [deviceId], [customerId], claim: true, ct)).TryGetValue(deviceId, out var owner)
        && owner.CustomerId == customerId;

    private static NpgsqlCommand InsertCommand(
        string sql, NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, Guid deviceId, Guid customerId, byte[] secretHash, string createdBy)
    {
        var insert = new NpgsqlCommand(sql, connection, transaction);
        insert.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = id });
        insert.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        insert.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
        insert.Parameters.Add(new("secret_hash", NpgsqlDbType.Bytea) { Value = secretHash });
        insert.Parameters.Add(new("created_by", NpgsqlDbType.Text) { Value = createdBy });
        return insert;
    }

    /// <param name="customerId">Only this customer's tokens; null for every customer (administrators).</param>
    /// <param name="deviceId">Only this device's; null for all.</param>
    /// <param name="ct">Cancels the query.</param>
    public async Task<IReadOnlyList<DeviceTokenSummary>> ListAsync(Guid? customerId, Guid? deviceId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(List);
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = (object?)customerId ?? DBNull.Value });
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = (object?)deviceId ?? DBNull.Value });
        command.Parameters.Add(new("max_tokens", NpgsqlDbType.Integer) { Value = MaxTokensPerAnswer });
        var tokens = new List<DeviceTokenSummary>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            tokens.Add(Read(reader));
        }

        return tokens;
    }

    /// <summary>The revoked token, or null when there is no such token (of that customer, when one is given).</summary>
    public async Task<DeviceTokenSummary?> RevokeAsync(Guid id, Guid? customerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Revoke);
        command.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = id });
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = (object?)customerId ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    public async Task<StoredDeviceToken?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Find);
        command.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new StoredDeviceToken(reader.GetGuid(0), reader.GetGuid(1), reader.GetFieldValue<byte[]>(2), reader.GetBoolean(3))
            : null;
    }

    private static DeviceTokenSummary Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
}
