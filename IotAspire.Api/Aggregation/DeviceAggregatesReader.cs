using System.Globalization;
using System.Text;
using IotAspire.Api.Data;
using IotAspire.Api.Errors;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Aggregation;

/// <summary>
/// Bucket means computed by PostgreSQL: one GROUP BY over the half-open range [from, to), buckets of
/// date_bin aligned to the Unix epoch in UTC and labelled by their start. Only buckets that hold readings
/// come back, so an empty bucket is simply absent. The customer filter is part of the SQL. When a rollup's
/// buckets tile the requested ones (<see cref="ReadingRollups.For"/>), the whole rollup buckets inside the
/// range come from the rollup and only the range's unaligned edges from the readings; the mean is then the
/// summed sums over the summed counts, which is the same mean.
/// </summary>
public sealed class DeviceAggregatesReader(NpgsqlDataSource dataSource)
{
    // The (customer, device, time) key with the reading INCLUDEd answers this with an index-only scan.
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

    // {0}: the filters; {1}: the rollup table. [@covered_from, @covered_to) is whole rollup buckets.
    private const string BucketMeansWithRollup = """
        WITH parts AS (
            SELECT customer_id, device_id, recorded_at AS at, reading AS total, 1::bigint AS n
            FROM readings
            WHERE recorded_at >= @from AND recorded_at < @covered_from
              {0}
            UNION ALL
            SELECT customer_id, device_id, bucket_start, reading_sum, reading_count
            FROM {1}
            WHERE bucket_start >= @covered_from AND bucket_start < @covered_to
              {0}
            UNION ALL
            SELECT customer_id, device_id, recorded_at, reading, 1::bigint
            FROM readings
            WHERE recorded_at >= @covered_to AND recorded_at < @to
              {0}
        )
        SELECT customer_id, device_id,
               date_bin(make_interval(mins => @aggregation_size_minutes), at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket_start,
               sum(total) / sum(n) AS mean
        FROM parts
        GROUP BY customer_id, device_id, bucket_start
        ORDER BY customer_id, device_id, bucket_start
        LIMIT @max_buckets + 1
        """;

    private static readonly CompositeFormat BucketMeansFormat = CompositeFormat.Parse(BucketMeans);
    private static readonly CompositeFormat BucketMeansWithRollupFormat = CompositeFormat.Parse(BucketMeansWithRollup);

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

        var filter = string.Join("\n  ", filters);
        var rollup = ReadingRollups.For(request.AggregationSizeMinutes);
        if (rollup is not null && ReadingRollups.CoveredSpan(request.From, request.To, rollup) is { } covered)
        {
            command.Parameters.Add(new("covered_from", NpgsqlDbType.TimestampTz) { Value = covered.From });
            command.Parameters.Add(new("covered_to", NpgsqlDbType.TimestampTz) { Value = covered.To });
            command.CommandText = string.Format(CultureInfo.InvariantCulture, BucketMeansWithRollupFormat, filter, rollup.Table);
        }
        else
        {
            command.CommandText = string.Format(CultureInfo.InvariantCulture, BucketMeansFormat, filter);
        }

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
