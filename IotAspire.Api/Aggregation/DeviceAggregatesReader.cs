using System.Globalization;
using System.Text;
using IotAspire.Api.Data;
using IotAspire.Api.Errors;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Aggregation;

/// <summary>
/// Bucket means computed by PostgreSQL over the half-open range [from, to), buckets of date_bin aligned to
/// the Unix epoch in UTC and labelled by their start. Only buckets that hold readings come back, so an
/// empty bucket is simply absent. The customer filter is part of the SQL.
/// <para>
/// Two things make it cost per bucket read rather than per reading stored:
/// the devices with readings in the range are found in the daily rollup, and each is then read by its own
/// (customer, device, time) index range (PostgreSQL 15 has no skip scan: a customer-wide time filter on
/// that key would walk every reading the customer ever sent); and when a rollup's buckets tile the
/// requested ones, whole rollup buckets stand in for their readings (<see cref="ReadingRollups.Plan"/>),
/// the mean being the summed sums over the summed counts.
/// </para>
/// </summary>
public sealed class DeviceAggregatesReader(NpgsqlDataSource dataSource)
{
    // {0}: the filters on the devices; {1}: the segments of the range, each read for one device.
    private const string BucketMeans = """
        WITH devices AS (
            SELECT DISTINCT customer_id, device_id
            FROM readings_daily
            WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
              {0}
        )
        SELECT devices.customer_id, devices.device_id, buckets.bucket_start, buckets.mean
        FROM devices
        CROSS JOIN LATERAL (
            SELECT date_bin(make_interval(mins => @aggregation_size_minutes), at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start,
                   sum(total) / sum(n) AS mean
            FROM ({1}) AS parts (at, total, n)
            GROUP BY 1
        ) AS buckets
        ORDER BY devices.customer_id, devices.device_id, buckets.bucket_start
        LIMIT @max_buckets + 1
        """;

    // The key's INCLUDEd reading makes this an index-only scan.
    private const string ReadingsSegment = """
        SELECT recorded_at, reading, 1::bigint FROM readings
        WHERE customer_id = devices.customer_id AND device_id = devices.device_id AND recorded_at >= @from_{0} AND recorded_at < @to_{0}
        """;

    private const string RollupSegment = """
        SELECT bucket_start, reading_sum, reading_count FROM {1}
        WHERE customer_id = devices.customer_id AND device_id = devices.device_id AND bucket_start >= @from_{0} AND bucket_start < @to_{0}
        """;

    private static readonly CompositeFormat BucketMeansFormat = CompositeFormat.Parse(BucketMeans);
    private static readonly CompositeFormat ReadingsSegmentFormat = CompositeFormat.Parse(ReadingsSegment);
    private static readonly CompositeFormat RollupSegmentFormat = CompositeFormat.Parse(RollupSegment);

    public async Task<IReadOnlyList<DeviceAggregate>> ReadAsync(AggregateRequest request, CancellationToken ct)
    {
        // Filters are added only when asked for, so each query shape gets its own plan.
        var filters = new List<string>();
        await using var command = dataSource.CreateCommand();
        command.Parameters.Add(new("aggregation_size_minutes", NpgsqlDbType.Integer) { Value = request.AggregationSizeMinutes });
        command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
        command.Parameters.Add(new("to", NpgsqlDbType.TimestampTz) { Value = request.To.ToUniversalTime() });
        command.Parameters.Add(new("max_buckets", NpgsqlDbType.Integer) { Value = request.MaxBuckets });
        if (request.CustomerId is { } customerId)
        {
            filters.Add("AND customer_id = @customer_id");
            command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        }

        if (request.DeviceIds is { } deviceIds)
        {
            filters.Add("AND device_id = ANY(@device_ids)");
            command.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds.ToArray() });
        }

        var segments = ReadingRollups.Plan(request.From, request.To, request.AggregationSizeMinutes);
        var parts = new List<string>(segments.Count);
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            command.Parameters.Add(new($"from_{i}", NpgsqlDbType.TimestampTz) { Value = segment.From.ToUniversalTime() });
            command.Parameters.Add(new($"to_{i}", NpgsqlDbType.TimestampTz) { Value = segment.To.ToUniversalTime() });
            parts.Add(segment.Grain is { } grain
                ? string.Format(CultureInfo.InvariantCulture, RollupSegmentFormat, i, grain.Table)
                : string.Format(CultureInfo.InvariantCulture, ReadingsSegmentFormat, i));
        }

        command.CommandText = string.Format(CultureInfo.InvariantCulture, BucketMeansFormat,
            string.Join("\n  ", filters), string.Join("\nUNION ALL\n", parts));

        var aggregates = new List<DeviceAggregate>();
        List<AggregatedValue>? buckets = null;
        (Guid Customer, Guid Device) current = default;
        var count = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (++count > request.MaxBuckets)
            {
                throw ApiErrors.BadInput(
                    $"The answer would hold more than {request.MaxBuckets} buckets over all devices. "
                    + "Use a larger aggregationSizeMinutes, a shorter range, or fewer deviceIds.");
            }

            var row = (Customer: reader.GetGuid(0), Device: reader.GetGuid(1));
            if (buckets is null || row != current)
            {
                buckets = [];
                current = row;
                aggregates.Add(new DeviceAggregate(row.Device, row.Customer, request.From, request.To, request.AggregationSizeMinutes, buckets));
            }

            buckets.Add(new AggregatedValue(reader.GetFieldValue<DateTimeOffset>(2), reader.GetDouble(3)));
        }

        return aggregates;
    }
}
