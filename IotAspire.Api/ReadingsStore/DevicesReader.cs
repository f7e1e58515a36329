using System.Text.Json;
using IotAspire.Api.Errors;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// A device with its customer's name and tags for it, its keys, and the span and count of its readings over every key
/// (<c>Device</c> in the GraphQL schema).
/// </summary>
public sealed record DeviceSummary(
    Guid Id, Guid CustomerId, DateTimeOffset? FirstReadingAt, DateTimeOffset? LastReadingAt, int ReadingCount,
    string? Name, IReadOnlyList<Tag> Tags, IReadOnlyList<string> Keys);

/// <summary>A device's tag: a name and a text value (<c>site=berlin</c>).</summary>
public sealed record Tag(string Name, string Value);

/// <summary>Which devices to list: all, or those with this id, this name, and every one of these tags.</summary>
public sealed record DeviceFilter(Guid? DeviceId = null, string? Name = null, IReadOnlyList<Tag>? Tags = null)
{
    /// <summary>The tags as the jsonb object <c>devices.tags</c> must contain (<c>@&gt;</c>); an empty object matches every device.</summary>
    public string TagsJson => Tags is null ? "{}" : JsonSerializer.Serialize(Tags.ToDictionary(t => t.Name, t => t.Value));
}

/// <summary>The devices of one customer (or all, for administrators) with the span and count of their readings.</summary>
public sealed class DevicesReader(NpgsqlDataSource dataSource)
{
    // Counts and spans are kept on the series rows by the materializer: this reads a row per series, however many
    // readings it has, plus what its pending readings add (PendingRollups.CountsView), summed per device.
    private const string DevicesColumns = """
        d.id, d.customer_id, d.name, d.tags::text AS tags,
               min(LEAST(s.first_reading_at, p.first_at)) AS first_reading_at, max(GREATEST(s.last_reading_at, p.last_at)) AS last_reading_at,
               coalesce(sum(s.reading_count + coalesce(p.added, 0)), 0)::int AS reading_count,
               coalesce(array_agg(s.key ORDER BY s.key) FILTER (WHERE s.key IS NOT NULL), '{}') AS keys
        """;

    private const string Filters = """
        (@device_id::uuid IS NULL OR d.id = @device_id) AND (@name::text IS NULL OR d.name = @name) AND d.tags @> @tags
        """;

    // A customer's devices: every table filtered by the customer (on Citus, routed to its worker).
    private static readonly string CustomerDevices = $"""
        SELECT {DevicesColumns}
        FROM devices d
        LEFT JOIN {Series.Table} s ON s.customer_id = @customer_id AND s.device_id = d.id
        LEFT JOIN ({PendingRollups.CountsQuery("@customer_id")}) p ON p.series_id = s.id
        WHERE d.customer_id = @customer_id AND {Filters}
        GROUP BY d.customer_id, d.id
        ORDER BY d.customer_id, d.id
        LIMIT @max_devices + 1
        """;

    // Every customer's (administrators): on Citus a query of every worker.
    private static readonly string EveryDevice = $"""
        SELECT {CitusDistribution.EveryCustomerMarker} {DevicesColumns}
        FROM devices d
        LEFT JOIN {Series.Table} s ON s.customer_id = d.customer_id AND s.device_id = d.id
        LEFT JOIN {PendingRollups.CountsView} p ON p.customer_id = s.customer_id AND p.series_id = s.id
        WHERE {Filters}
        GROUP BY d.customer_id, d.id
        ORDER BY d.customer_id, d.id
        LIMIT @max_devices + 1
        """;

    /// <summary>Devices one answer may list; an administrator with more names a customer.</summary>
    public const int MaxDevicesPerAnswer = 10_000;

    /// <param name="customerId">Only this customer's devices; null for every customer (administrators).</param>
    /// <param name="ct">Cancels the query.</param>
    /// <param name="filter">Which devices; null for all.</param>
    public async Task<IReadOnlyList<DeviceSummary>> ReadAsync(Guid? customerId, CancellationToken ct, DeviceFilter? filter = null)
    {
        filter ??= new DeviceFilter();
        await using var command = dataSource.CreateCommand(customerId is null ? EveryDevice : CustomerDevices);
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId is { } id ? id : DBNull.Value });
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = filter.DeviceId is { } device ? device : DBNull.Value });
        command.Parameters.Add(new("name", NpgsqlDbType.Text) { Value = filter.Name is { } name ? name : DBNull.Value });
        command.Parameters.Add(new("tags", NpgsqlDbType.Jsonb) { Value = filter.TagsJson });
        command.Parameters.Add(new("max_devices", NpgsqlDbType.Integer) { Value = MaxDevicesPerAnswer });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var devices = new List<DeviceSummary>();
        while (await reader.ReadAsync(ct))
        {
            if (devices.Count == MaxDevicesPerAnswer)
            {
                throw ApiErrors.BadInput($"There are more than {MaxDevicesPerAnswer} devices; name a customerId to list one customer's, or filter by tags.");
            }

            devices.Add(new DeviceSummary(
                reader.GetGuid(reader.GetOrdinal("id")), reader.GetGuid(reader.GetOrdinal("customer_id")),
                reader.GetFieldValue<DateTimeOffset?>(reader.GetOrdinal("first_reading_at")),
                reader.GetFieldValue<DateTimeOffset?>(reader.GetOrdinal("last_reading_at")),
                reader.GetInt32(reader.GetOrdinal("reading_count")),
                reader.IsDBNull(reader.GetOrdinal("name")) ? null : reader.GetString(reader.GetOrdinal("name")),
                TagsOf(reader.GetString(reader.GetOrdinal("tags"))),
                reader.GetFieldValue<string[]>(reader.GetOrdinal("keys"))));
        }

        return devices;
    }

    /// <summary>A device's tags from its jsonb object, by name.</summary>
    public static IReadOnlyList<Tag> TagsOf(string json) =>
        [.. (JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? []).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new Tag(t.Key, t.Value))];
}
