using System.Globalization;
using System.Runtime.InteropServices;
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
/// What makes it cost per bucket read rather than per reading stored:
/// the devices with readings in the range are found in the daily rollup, and each is then read by its own
/// (customer, device, time) key range (PostgreSQL 15 has no skip scan: a customer-wide time filter on
/// that key would walk every reading the customer ever sent); when a rollup's buckets tile the requested
/// ones, whole rollup buckets stand in for their readings (<see cref="ReadingRollups.Plan"/>), read by
/// index-only scans of keys that carry the figures; and a rollup of exactly the requested size is read
/// as it is, without grouping again.
/// </para>
/// <para>
/// Each part of the range comes back as (bucket, sum, count) rows, and the few buckets that two parts
/// share (only at the range's ends) are added together here. Sorting here too, instead of an ORDER BY over
/// every row, took the SQL for a week of five-minute buckets from 15 to 5.5 ms.
/// </para>
/// </summary>
public sealed class DeviceAggregatesReader(NpgsqlDataSource dataSource)
{
    // {0}: the filters on the devices; {1}: the parts of the range, each read for one device. With each
    // device, how far retention deleted its customer's data (RetentionGaps), found once per device by key.
    // The LIMIT bounds the work: every bucket but the first and last of a device comes from one part, so
    // more rows than that means more buckets than allowed, which is refused.
    private const string BucketSumsQuery = """
        WITH devices AS (
            SELECT DISTINCT customer_id, device_id
            FROM readings_daily
            WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
              {0}
        )
        SELECT devices.customer_id, devices.device_id, parts.bucket_start, parts.total, parts.n, parts.low, parts.high,
               retention.readings_deleted_before, retention.rollups_deleted_before
        FROM devices
        LEFT JOIN customer_retention AS retention ON retention.customer_id = devices.customer_id
        CROSS JOIN LATERAL ({1}) AS parts (bucket_start, total, n, low, high)
        LIMIT @max_rows
        """;

    // The key's INCLUDEd reading makes this an index-only scan.
    private const string ReadingsPart = """
        SELECT date_bin(make_interval(mins => @aggregation_size_minutes), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
               sum(reading), count(*)::float8, min(reading), max(reading)
        FROM readings
        WHERE customer_id = devices.customer_id AND device_id = devices.device_id AND recorded_at >= @from_{0} AND recorded_at < @to_{0}
        GROUP BY 1
        """;

    private const string RollupPart = """
        SELECT date_bin(make_interval(mins => @aggregation_size_minutes), bucket_start, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
               sum(reading_sum), sum(reading_count)::float8, min(reading_min), max(reading_max)
        FROM {1}
        WHERE customer_id = devices.customer_id AND device_id = devices.device_id AND bucket_start >= @from_{0} AND bucket_start < @to_{0}
        GROUP BY 1
        """;

    // A rollup bucket of the requested size is an answer bucket already.
    private const string SameSizeRollupPart = """
        SELECT bucket_start, reading_sum, reading_count::float8, reading_min, reading_max
        FROM {1}
        WHERE customer_id = devices.customer_id AND device_id = devices.device_id AND bucket_start >= @from_{0} AND bucket_start < @to_{0}
        """;

    private static readonly CompositeFormat BucketSumsFormat = CompositeFormat.Parse(BucketSumsQuery);
    private static readonly CompositeFormat ReadingsPartFormat = CompositeFormat.Parse(ReadingsPart);
    private static readonly CompositeFormat RollupPartFormat = CompositeFormat.Parse(RollupPart);
    private static readonly CompositeFormat SameSizeRollupPartFormat = CompositeFormat.Parse(SameSizeRollupPart);

    public async Task<IReadOnlyList<DeviceAggregate>> ReadAsync(AggregateRequest request, CancellationToken ct)
    {
        // Filters are added only when asked for, so each query shape gets its own plan.
        var filters = new List<string>();
        await using var command = dataSource.CreateCommand();
        command.Parameters.Add(new("aggregation_size_minutes", NpgsqlDbType.Integer) { Value = request.AggregationSizeMinutes });
        command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
        command.Parameters.Add(new("to", NpgsqlDbType.TimestampTz) { Value = request.To.ToUniversalTime() });
        command.Parameters.Add(new("max_rows", NpgsqlDbType.Bigint) { Value = MaxRows(request) });
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
            var format = segment.Grain switch
            {
                null => ReadingsPartFormat,
                { Minutes: var minutes } when minutes == request.AggregationSizeMinutes => SameSizeRollupPartFormat,
                _ => RollupPartFormat,
            };
            parts.Add(string.Format(CultureInfo.InvariantCulture, format, i, segment.Grain?.Table));
        }

        command.CommandText = string.Format(CultureInfo.InvariantCulture, BucketSumsFormat,
            string.Join("\n  ", filters), string.Join("\nUNION ALL\n", parts));

        var devices = new Dictionary<(Guid Customer, Guid Device), BucketSums>();
        BucketSums? current = null;
        (Guid Customer, Guid Device) currentKey = default;
        var rows = 0L;
        var deleted = new Dictionary<Guid, (DateTimeOffset Readings, DateTimeOffset? Rollups)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows++;
                var key = (reader.GetGuid(0), reader.GetGuid(1));
                if (current is null || key != currentKey)
                {
                    currentKey = key;
                    current = CollectionsMarshal.GetValueRefOrAddDefault(devices, key, out _) ??= new BucketSums();
                    if (!reader.IsDBNull(7))
                    {
                        deleted[key.Item1] = (reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8));
                    }
                }

                current.Add(reader.GetFieldValue<DateTimeOffset>(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5), reader.GetDouble(6));
            }
        }

        var aggregates = new List<DeviceAggregate>(devices.Count);
        var buckets = 0L;
        foreach (var ((customer, device), sums) in devices)
        {
            var values = sums.ToMeans();
            buckets += values.Count;
            var incompleteBefore = deleted.TryGetValue(customer, out var gone)
                ? RetentionGaps.IncompleteBefore(segments, request.To, request.AggregationSizeMinutes, gone.Readings, gone.Rollups)
                : null;
            aggregates.Add(new DeviceAggregate(device, customer, request.From, request.To, request.AggregationSizeMinutes, values, incompleteBefore));
        }

        if (buckets > request.MaxBuckets || rows >= MaxRows(request))
        {
            throw ApiErrors.BadInput(
                $"The answer would hold more than {request.MaxBuckets} buckets over all devices. "
                + "Use a larger aggregationSizeMinutes, a shorter range, or fewer deviceIds.");
        }

        aggregates.Sort(static (a, b) => a.CustomerId != b.CustomerId ? a.CustomerId.CompareTo(b.CustomerId) : a.DeviceId.CompareTo(b.DeviceId));
        return aggregates;
    }

    // For fill PREVIOUS: per device, the mean of its last non-empty bucket before the range (only the part
    // of that bucket before @from, as the range's own first bucket counts only what lies inside). Found by
    // the device's last reading before @from, read backwards on its key; the customer filter is the device's own.
    private const string PreviousMeansQuery = """
        SELECT d.customer_id, d.device_id, avg(r.reading)
        FROM unnest(@customer_ids, @device_ids) AS d(customer_id, device_id)
        CROSS JOIN LATERAL (SELECT date_bin(make_interval(mins => @aggregation_size_minutes), recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket
                            FROM readings WHERE customer_id = d.customer_id AND device_id = d.device_id AND recorded_at < @from
                            ORDER BY recorded_at DESC LIMIT 1) AS last
        JOIN readings r ON r.customer_id = d.customer_id AND r.device_id = d.device_id
                       AND r.recorded_at >= last.bucket AND r.recorded_at < LEAST(last.bucket + make_interval(mins => @aggregation_size_minutes), @from)
        GROUP BY 1, 2
        """;

    /// <summary>Per device, the mean of its last non-empty bucket before the range, when it has one (fill PREVIOUS).</summary>
    public async Task<Dictionary<(Guid Customer, Guid Device), double>> PreviousMeansAsync(
        AggregateRequest request, (Guid Customer, Guid Device)[] devices, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(PreviousMeansQuery);
        command.Parameters.Add(new("customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = devices.Select(d => d.Customer).ToArray() });
        command.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = devices.Select(d => d.Device).ToArray() });
        command.Parameters.Add(new("aggregation_size_minutes", NpgsqlDbType.Integer) { Value = request.AggregationSizeMinutes });
        command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var means = new Dictionary<(Guid Customer, Guid Device), double>();
        while (await reader.ReadAsync(ct))
        {
            means[(reader.GetGuid(0), reader.GetGuid(1))] = reader.GetDouble(2);
        }

        return means;
    }

    // Twice the allowed buckets: a device's rows exceed its buckets by at most a few (its first and last
    // bucket may come from several parts), so reaching this many rows means too many buckets.
    private static long MaxRows(AggregateRequest request) => (2L * request.MaxBuckets) + 2;

    /// <summary>One device's (bucket, sum, count, min, max) rows, in whatever order they come.</summary>
    private sealed class BucketSums
    {
        private readonly List<(DateTimeOffset Bucket, double Sum, double Count, double Min, double Max)> rows = [];
        private bool ordered = true;

        public void Add(DateTimeOffset bucket, double sum, double count, double min, double max)
        {
            ordered &= rows.Count == 0 || rows[^1].Bucket < bucket;
            rows.Add((bucket, sum, count, min, max));
        }

        /// <summary>The means in bucket order, each bucket once (the parts that share one added together).</summary>
        public List<AggregatedValue> ToMeans()
        {
            if (!ordered)
            {
                rows.Sort(static (a, b) => a.Bucket.CompareTo(b.Bucket));
            }

            var means = new List<AggregatedValue>(rows.Count);
            for (var i = 0; i < rows.Count;)
            {
                var (bucket, sum, count, min, max) = rows[i++];
                while (i < rows.Count && rows[i].Bucket == bucket)
                {
                    sum += rows[i].Sum;
                    count += rows[i].Count;
                    min = Math.Min(min, rows[i].Min);
                    max = Math.Max(max, rows[i++].Max);
                }

                means.Add(new AggregatedValue(bucket, sum / count, min, max, sum, (int)count));
            }

            return means;
        }
    }
}
