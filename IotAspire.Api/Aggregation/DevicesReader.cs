using IotAspire.Api.Data;
using IotAspire.Api.Errors;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Aggregation;

/// <summary>A device with the span and count of its readings (<c>Device</c> in the GraphQL schema).</summary>
public sealed record DeviceSummary(Guid Id, Guid CustomerId, DateTimeOffset? FirstReadingAt, DateTimeOffset? LastReadingAt, int ReadingCount);

/// <summary>The devices of one customer (or all, for administrators) with the span and count of their readings.</summary>
public sealed class DevicesReader(NpgsqlDataSource dataSource)
{
    // Counts and spans are kept on the device row by the materializer and by provisioning: this reads one row
    // per device, however many readings it has. For what is still pending, each device's pending spans, widened
    // to the five-minute buckets the materializer will recompute and merged, are counted from the readings in
    // place of those buckets' rollup rows (the device row holds exactly what the rollup rows hold).
    private const string Devices = $$"""
        WITH buckets AS (
            SELECT customer_id, device_id,
                   unnest(range_agg(tstzrange(date_bin(INTERVAL '5 minutes', lower(span), TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                                              date_bin(INTERVAL '5 minutes', upper(span) - INTERVAL '1 microsecond', TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '5 minutes'))) AS span
            FROM {{PendingRollups.SpansView}}
            WHERE (@customer_id::uuid IS NULL OR customer_id = @customer_id) AND (@device_id::uuid IS NULL OR device_id = @device_id)
            GROUP BY 1, 2
        ), pending AS (
            SELECT b.customer_id, b.device_id, sum(raw.n - rolled.n) AS added, min(raw.first_at) AS first_at, max(raw.last_at) AS last_at
            FROM buckets b
            CROSS JOIN LATERAL (SELECT count(*) AS n, min(recorded_at) AS first_at, max(recorded_at) AS last_at FROM readings r
                                WHERE r.customer_id = b.customer_id AND r.device_id = b.device_id
                                  AND r.recorded_at >= lower(b.span) AND r.recorded_at < upper(b.span)) AS raw
            CROSS JOIN LATERAL (SELECT coalesce(sum(reading_count), 0) AS n FROM {{ReadingRollups.FiveMinuteTable}} f
                                WHERE f.customer_id = b.customer_id AND f.device_id = b.device_id
                                  AND f.bucket_start >= lower(b.span) AND f.bucket_start < upper(b.span)) AS rolled
            GROUP BY 1, 2
        )
        SELECT d.id, d.customer_id, LEAST(d.first_reading_at, p.first_at), GREATEST(d.last_reading_at, p.last_at), (d.reading_count + coalesce(p.added, 0))::int
        FROM devices d
        LEFT JOIN pending p ON p.customer_id = d.customer_id AND p.device_id = d.id
        WHERE (@customer_id::uuid IS NULL OR d.customer_id = @customer_id)
          AND (@device_id::uuid IS NULL OR d.id = @device_id)
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
        await using var command = dataSource.CreateCommand(Devices);
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
                reader.GetGuid(0), reader.GetGuid(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetInt32(4)));
        }

        return devices;
    }
}
