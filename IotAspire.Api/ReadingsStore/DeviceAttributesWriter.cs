using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>What setting a device's name and tags came to.</summary>
public abstract record AttributesOutcome
{
    private AttributesOutcome()
    {
    }

    public sealed record Set : AttributesOutcome;

    /// <summary>The customer has no such device (it never sent a reading, or belongs to another customer).</summary>
    public sealed record NoSuchDevice : AttributesOutcome;

    /// <summary>Another of the customer's devices has the name already.</summary>
    public sealed record NameTaken(Guid OtherDevice) : AttributesOutcome;
}

/// <summary>
/// Sets a device's name and tags on its customer's <c>devices</c> row: null leaves one as it is, an empty name clears
/// it, tags replace the device's tags. A name is unique per customer (a partial unique index); the device taken by it
/// is named in the answer.
/// </summary>
public sealed class DeviceAttributesWriter(NpgsqlDataSource dataSource)
{
    public const string SetSql = """
        UPDATE devices SET name = CASE WHEN @name::text IS NULL THEN name WHEN @name = '' THEN NULL ELSE @name END,
                           tags = coalesce(@tags::jsonb, tags)
        WHERE customer_id = @customer_id AND id = @device_id
        """;

    private const string NamedSql = "SELECT id FROM devices WHERE customer_id = @customer_id AND name = @name AND id <> @device_id";

    public async Task<AttributesOutcome> SetAsync(Guid customerId, Guid deviceId, string? name, IReadOnlyList<Tag>? tags, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(SetSql);
        Add(command, customerId, deviceId, name);
        command.Parameters.Add(new("tags", NpgsqlDbType.Jsonb) { Value = tags is null ? DBNull.Value : new DeviceFilter(Tags: tags).TagsJson });
        try
        {
            return await command.ExecuteNonQueryAsync(ct) == 1 ? new AttributesOutcome.Set() : new AttributesOutcome.NoSuchDevice();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await using var named = dataSource.CreateCommand(NamedSql);
            Add(named, customerId, deviceId, name);
            return new AttributesOutcome.NameTaken(await named.ExecuteScalarAsync(ct) as Guid? ?? Guid.Empty);
        }
    }

    private static void Add(NpgsqlCommand command, Guid customerId, Guid deviceId, string? name)
    {
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
        command.Parameters.Add(new("name", NpgsqlDbType.Text) { Value = name is null ? DBNull.Value : name });
    }
}
