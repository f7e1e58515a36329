using System.Globalization;
using System.Text;
using IotAspire.Api.Errors;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Aggregation;

/// <summary>
/// Bucket means computed by PostgreSQL: one GROUP BY over the half-open range [from, to), buckets of
/// date_bin aligned to the Unix epoch in UTC and labelled by their start. Only buckets that hold readings
/// come back, so an empty bucket is simply absent. The customer filter is part of the SQL, and the
/// (customer, device, time) key with the reading INCLUDEd answers it with an index-only scan.
/// </summary>
public sealed class DeviceAggregatesReader(NpgsqlDataSource dataSource)
{
    private const string BucketMeans = """
        SELECT customer_id, device_id,
               date_bin(make_interval(mins => @aggregation_size_minutes), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start,
               avg(reading) AS mean
        FROM readings
        WHERE recorded_at >= @from AND recorded_at < @to
          {0}
        GROUP BY customer_id, device_id, bucket_start
        ORDER BY customer_id, device_id, bucket_start
        LIMIT @max_buckets + 1
        """;

    private static readonly CompositeFormat BucketMeansFormat = CompositeFormat.Parse(BucketMeans);

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

        command.CommandText = string.Format(CultureInfo.InvariantCulture, BucketMeansFormat, string.Join("\n  ", filters));

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
