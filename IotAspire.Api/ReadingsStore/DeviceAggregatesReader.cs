using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using IotAspire.Api.Errors;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Bucket functions computed by PostgreSQL over the half-open range [from, to), in buckets laid out by
/// <see cref="BucketLayout"/> (in UTC, date_bin's, aligned to the Unix epoch) and labelled by their start.
/// Only buckets that hold readings come back, so an empty bucket is simply absent. Only the selected
/// functions are computed (<see cref="BucketFunctions"/>), in one statement. The customer filter is part of the SQL.
/// <para>
/// What makes it cost per bucket read rather than per reading stored:
/// the devices with readings in the range are found in the daily rollup, and each is then read by its own
/// (customer, device, time) key range (PostgreSQL 15 has no skip scan: a customer-wide time filter on
/// that key would walk every reading the customer ever sent); when a rollup's buckets tile the requested
/// ones, whole rollup buckets stand in for their readings (<see cref="ReadingRollups.Plan(DateTimeOffset, DateTimeOffset, IReadOnlyList{RollupGrain})"/>), read by
/// index-only scans of keys that carry the figures; and a rollup of exactly the requested size is read
/// as it is, without grouping again.
/// </para>
/// <para>
/// Each part of the range comes back as one row per bucket with the selected functions, and the few buckets
/// that two parts share (only at the range's ends, only for what the rollups keep) are combined here. Sorting here too, instead of an ORDER BY over
/// every row, took the SQL for a week of five-minute buckets from 15 to 5.5 ms.
/// </para>
/// </summary>
public sealed class DeviceAggregatesReader(NpgsqlDataSource dataSource)
{
    // {0}: the filters on the devices; {1}: the parts of the range, each read for one device. With each
    // device, how far retention deleted its customer's data (RetentionGaps), found once per device by key.
    // The LIMIT bounds the work: every bucket but the first and last of a device comes from one part, so
    // more rows than that means more buckets than allowed, which is refused.
    // A device whose readings in the range are all pending is not in the daily rollup yet: the pending rows name it.
    private const string BucketsQuery = $$"""
        WITH devices AS (
            SELECT customer_id, device_id
            FROM readings_daily
            WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
              {0}
            UNION
            SELECT customer_id, device_id
            FROM {{PendingRollups.SpansView}}
            WHERE span && tstzrange(@from, @to)
              {0}
        )
        SELECT devices.customer_id, devices.device_id, retention.readings_deleted_before, retention.rollups_deleted_before, parts.*
        FROM devices
        LEFT JOIN customer_retention AS retention ON retention.customer_id = devices.customer_id
        CROSS JOIN LATERAL ({1}) AS parts (bucket_start, total, n, low, high, stddev, first, last, percentiles)
        LIMIT @max_rows
        """;

    // {0}: the part's index; {1}: the bucket of recorded_at; {2}: the selected functions; {4}: the customer filter,
    // when one customer is in scope. The key's INCLUDEd reading makes this an index-only scan. The customer is named
    // again beside devices.customer_id because on Citus the devices CTE is planned on its own: joined to its result
    // alone, each part would run on every shard; with the customer's id it is routed to that customer's shards.
    private const string ReadingsPart = """
        SELECT {1}, {2}
        FROM readings
        WHERE customer_id = devices.customer_id {4} AND device_id = devices.device_id AND recorded_at >= @from_{0} AND recorded_at < @to_{0}
        GROUP BY 1
        """;

    // {3}: the rollup table.
    private const string RollupPart = """
        SELECT {1}, {2}
        FROM {3}
        WHERE customer_id = devices.customer_id {4} AND device_id = devices.device_id AND bucket_start >= @from_{0} AND bucket_start < @to_{0}
        GROUP BY 1
        """;

    // A rollup bucket of the requested size is an answer bucket already.
    private const string SameSizeRollupPart = """
        SELECT bucket_start, {2}
        FROM {3}
        WHERE customer_id = devices.customer_id {4} AND device_id = devices.device_id AND bucket_start >= @from_{0} AND bucket_start < @to_{0}
        """;

    // The bucket of {0}: date_bin's in UTC; in a zone, the last of the layout's bucket starts at or before it
    // (width_bucket is a binary search of the sorted array).
    private const string UtcBucket = "date_bin(make_interval(mins => @aggregation_size_minutes), {0}, TIMESTAMPTZ '1970-01-01 00:00:00+00')";
    private const string ZoneBucket = "(@bucket_starts)[width_bucket({0}, @bucket_starts)]";

    private static readonly CompositeFormat BucketsFormat = CompositeFormat.Parse(BucketsQuery);
    private static readonly CompositeFormat ReadingsPartFormat = CompositeFormat.Parse(ReadingsPart);
    private static readonly CompositeFormat RollupPartFormat = CompositeFormat.Parse(RollupPart);
    private static readonly CompositeFormat SameSizeRollupPartFormat = CompositeFormat.Parse(SameSizeRollupPart);

    /// <summary>
    /// The columns of a part, in the order <c>parts</c> names them: each selected function, or a typed NULL.
    /// A rollup keeps sum, count, minimum and maximum; the rest come from readings alone.
    /// </summary>
    private static string Columns(BucketFunctions functions, bool fromReadings, bool grouped)
    {
        string Pick(bool selected, string expression, string type = "float8") => selected ? expression : $"NULL::{type}";
        var needSum = functions.Has(BucketFunction.Mean) || functions.Has(BucketFunction.Sum);
        var needCount = functions.Has(BucketFunction.Mean) || functions.Has(BucketFunction.Count);
        string[] columns = fromReadings
            ?
            [
                Pick(needSum, "sum(reading)"),
                Pick(needCount, "count(*)::float8"),
                Pick(functions.Has(BucketFunction.Min), "min(reading)"),
                Pick(functions.Has(BucketFunction.Max), "max(reading)"),
                Pick(functions.Has(BucketFunction.Stddev), "stddev_samp(reading)"),
                Pick(functions.Has(BucketFunction.First), "(array_agg(reading ORDER BY recorded_at))[1]"),
                Pick(functions.Has(BucketFunction.Last), "(array_agg(reading ORDER BY recorded_at DESC))[1]"),
                Pick(functions.Has(BucketFunction.Percentiles), "percentile_cont(@percentiles) WITHIN GROUP (ORDER BY reading)", "float8[]"),
            ]
            :
            [
                Pick(needSum, grouped ? "sum(reading_sum)" : "reading_sum"),
                Pick(needCount, grouped ? "sum(reading_count)::float8" : "reading_count::float8"),
                Pick(functions.Has(BucketFunction.Min), grouped ? "min(reading_min)" : "reading_min"),
                Pick(functions.Has(BucketFunction.Max), grouped ? "max(reading_max)" : "reading_max"),
                "NULL::float8", "NULL::float8", "NULL::float8", "NULL::float8[]",
            ];
        return string.Join(", ", columns);
    }

    /// <summary>
    /// The answer as of one moment: the pending spans and the buckets are read in one repeatable-read
    /// transaction, so a batch committing or a materializer pass between the two statements cannot make a
    /// rollup bucket stand in for readings it does not hold yet. Two round trips: BEGIN goes with the first
    /// statement and COMMIT with the second (a connection returned to the pool mid-way is rolled back).
    /// </summary>
    public async Task<IReadOnlyList<DeviceAggregate>> ReadAsync(AggregateRequest request, CancellationToken ct)
    {
        if (request.CustomerId is null)
        {
            return await ReadEveryCustomerAsync(request, ct);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Functions the rollups do not keep read the readings alone: nothing pending matters, one statement.
        var snapshot = !request.Functions.NeedsReadings;
        var pending = snapshot ? await PendingSpansAsync(request, connection, ct) : [];
        return await ReadAsync(request, pending, connection, commit: snapshot, ct);
    }

    // Devices with readings in the range, counted only up to @enough: what the heavy-read budget needs to know (see
    // ReadCost), found in the daily rollup's keys and stopped as soon as it knows. Pending batches are not counted:
    // an estimate, of a moment.
    private const string DevicesInRangeQuery = $$"""
        SELECT {{CitusDistribution.EveryCustomerMarker}} count(*) FROM (
            SELECT DISTINCT customer_id, device_id FROM readings_daily
            WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
              {0}
            LIMIT @enough) AS devices
        """;

    private static readonly CompositeFormat DevicesInRangeFormat = CompositeFormat.Parse(DevicesInRangeQuery);

    /// <summary>How many devices in scope have readings in the range, counting no further than <paramref name="enough"/>.</summary>
    public async Task<long> CountDevicesAsync(AggregateRequest request, long enough, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand();
        command.CommandText = string.Format(CultureInfo.InvariantCulture, DevicesInRangeFormat, string.Join("\n  ", Scope(request, command.Parameters)));
        command.Parameters.Add(new("enough", NpgsqlDbType.Bigint) { Value = enough });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    // The customers with data in the range (of the named devices, if any): an administrator's read across customers.
    // The pending rows first: a pass moves a batch from them to the rollups, and on Citus the two halves are read one
    // after the other (no snapshot spans the workers), so in this order a batch a pass folds in between is seen in one.
    private const string CustomersQuery = $$"""
        SELECT {{CitusDistribution.EveryCustomerMarker}} customer_id FROM {{PendingRollups.SpansView}}
        WHERE span && tstzrange(@from, @to)
          {0}
        UNION
        SELECT {{CitusDistribution.EveryCustomerMarker}} customer_id FROM readings_daily
        WHERE bucket_start >= date_bin(INTERVAL '1 day', @from, TIMESTAMPTZ '1970-01-01 00:00:00+00') AND bucket_start < @to
          {0}
        ORDER BY 1
        """;

    private static readonly CompositeFormat CustomersFormat = CompositeFormat.Parse(CustomersQuery);

    /// <summary>
    /// Every customer's aggregates (administrators): the customers with data in the range, then each customer's as
    /// a customer's own read, so that every statement that reads readings and rollups names one customer (on Citus,
    /// a query routed to that customer's worker; the one statement across customers is this list). Each customer's
    /// answer is exact in its own snapshot; the bucket limit holds over all of them.
    /// </summary>
    private async Task<IReadOnlyList<DeviceAggregate>> ReadEveryCustomerAsync(AggregateRequest request, CancellationToken ct)
    {
        var customers = new List<Guid>();
        await using (var command = dataSource.CreateCommand())
        {
            command.CommandText = string.Format(CultureInfo.InvariantCulture, CustomersFormat, string.Join("\n  ", Scope(request, command.Parameters)));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                customers.Add(reader.GetGuid(0));
            }
        }

        var aggregates = new List<DeviceAggregate>();
        var buckets = 0L;
        foreach (var customer in customers)
        {
            var remaining = (int)(request.MaxBuckets - buckets);
            if (remaining <= 0)
            {
                throw TooManyBuckets(request.MaxBuckets);
            }

            IReadOnlyList<DeviceAggregate> own;
            try
            {
                own = await ReadAsync(request with { CustomerId = customer, MaxBuckets = remaining }, ct);
            }
            catch (ApiErrorException) when (remaining < request.MaxBuckets)
            {
                throw TooManyBuckets(request.MaxBuckets);   // the limit is over all customers, not what was left of it
            }

            buckets += own.Sum(a => (long)a.AggregatedValues.Count);
            aggregates.AddRange(own);
        }

        return aggregates;   // in customer order, each sorted by device
    }

    private const string CustomerFilter = "AND customer_id = @customer_id";

    // Filters are added only when asked for, so each query shape gets its own plan. The same filters scope
    // the pending spans and the devices.
    private static List<string> Scope(AggregateRequest request, NpgsqlParameterCollection parameters)
    {
        var filters = new List<string>();
        parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
        parameters.Add(new("to", NpgsqlDbType.TimestampTz) { Value = request.To.ToUniversalTime() });
        if (request.CustomerId is { } customerId)
        {
            filters.Add(CustomerFilter);
            parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        }

        if (request.DeviceIds is { } deviceIds)
        {
            filters.Add("AND device_id = ANY(@device_ids)");
            parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds.ToArray() });
        }

        return filters;
    }

    private const string BeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    private static async Task<List<(DateTimeOffset From, DateTimeOffset To)>> PendingSpansAsync(
        AggregateRequest request, NpgsqlConnection connection, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(BeginSnapshot) } };
        var spansQuery = new NpgsqlBatchCommand();
        spansQuery.CommandText = string.Format(CultureInfo.InvariantCulture, PendingSpansFormat, string.Join("\n  ", Scope(request, spansQuery.Parameters)));
        batch.BatchCommands.Add(spansQuery);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var spans = new List<(DateTimeOffset From, DateTimeOffset To)>();
        while (await reader.ReadAsync(ct))
        {
            spans.Add((reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return spans;
    }

    private static readonly CompositeFormat PendingSpansFormat = CompositeFormat.Parse(PendingRollups.MergedSpansQuery);

    private static async Task<IReadOnlyList<DeviceAggregate>> ReadAsync(
        AggregateRequest request, List<(DateTimeOffset From, DateTimeOffset To)> pending, NpgsqlConnection connection, bool commit, CancellationToken ct)
    {
        var layout = request.Layout;
        var functions = request.Functions;

        await using var batch = new NpgsqlBatch(connection);
        var command = new NpgsqlBatchCommand();
        batch.BatchCommands.Add(command);
        if (commit)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        }

        var filters = Scope(request, command.Parameters);
        var customerFilter = request.CustomerId is null ? "" : CustomerFilter;
        command.Parameters.Add(new("max_rows", NpgsqlDbType.Bigint) { Value = MaxRows(request) });

        if (functions.Has(BucketFunction.Percentiles))
        {
            command.Parameters.Add(new("percentiles", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = functions.PercentileFractions.ToArray() });
        }

        IReadOnlyList<RollupGrain> grains;
        string bucketFormat;
        if (layout.IsUtc)
        {
            command.Parameters.Add(new("aggregation_size_minutes", NpgsqlDbType.Integer) { Value = request.AggregationSizeMinutes });
            grains = ReadingRollups.For(request.AggregationSizeMinutes);
            bucketFormat = UtcBucket;
        }
        else
        {
            var starts = layout.Starts(request.From, request.To);
            command.Parameters.Add(new("bucket_starts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = starts.Select(s => s.UtcDateTime).ToArray() });
            grains = layout.RollupsFor(starts);
            bucketFormat = ZoneBucket;
        }

        // Functions the rollups do not keep are computed from the readings of the whole range; otherwise what is
        // pending is read from the readings too.
        var segments = ReadingRollups.Plan(request.From, request.To, functions.NeedsReadings ? [] : grains, pending);
        var parts = new List<string>(segments.Count);
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            command.Parameters.Add(new($"from_{i}", NpgsqlDbType.TimestampTz) { Value = segment.From.ToUniversalTime() });
            command.Parameters.Add(new($"to_{i}", NpgsqlDbType.TimestampTz) { Value = segment.To.ToUniversalTime() });
            parts.Add(segment.Grain switch
            {
                null => string.Format(CultureInfo.InvariantCulture, ReadingsPartFormat, i,
                    string.Format(CultureInfo.InvariantCulture, bucketFormat, "recorded_at"), Columns(functions, fromReadings: true, grouped: true), null, customerFilter),
                { Minutes: var minutes } when layout.IsUtc && minutes == request.AggregationSizeMinutes => string.Format(CultureInfo.InvariantCulture,
                    SameSizeRollupPartFormat, i, null, Columns(functions, fromReadings: false, grouped: false), segment.Grain.Table, customerFilter),
                _ => string.Format(CultureInfo.InvariantCulture, RollupPartFormat, i,
                    string.Format(CultureInfo.InvariantCulture, bucketFormat, "bucket_start"), Columns(functions, fromReadings: false, grouped: true), segment.Grain.Table, customerFilter),
            });
        }

        command.CommandText = string.Format(CultureInfo.InvariantCulture, BucketsFormat,
            string.Join("\n  ", filters), string.Join("\nUNION ALL\n", parts));

        var devices = new Dictionary<(Guid Customer, Guid Device), DeviceBuckets>();
        DeviceBuckets? current = null;
        (Guid Customer, Guid Device) currentKey = default;
        var rows = 0L;
        var deleted = new Dictionary<Guid, (DateTimeOffset Readings, DateTimeOffset? Rollups)>();
        var readSum = functions.Has(BucketFunction.Mean) || functions.Has(BucketFunction.Sum);
        var readCount = functions.Has(BucketFunction.Mean) || functions.Has(BucketFunction.Count);
        var (readMin, readMax) = (functions.Has(BucketFunction.Min), functions.Has(BucketFunction.Max));
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows++;
                var key = (reader.GetGuid(0), reader.GetGuid(1));
                if (current is null || key != currentKey)
                {
                    currentKey = key;
                    current = CollectionsMarshal.GetValueRefOrAddDefault(devices, key, out _) ??= new DeviceBuckets();
                    if (!reader.IsDBNull(2))
                    {
                        deleted[key.Item1] = (reader.GetFieldValue<DateTimeOffset>(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
                    }
                }

                // Only the selected columns are read (the others are NULL); a large answer reads 100 000 rows.
                current.Add(new BucketRow(
                    reader.GetFieldValue<DateTimeOffset>(4),
                    readSum ? reader.GetDouble(5) : double.NaN, readCount ? reader.GetDouble(6) : double.NaN,
                    readMin ? reader.GetDouble(7) : double.NaN, readMax ? reader.GetDouble(8) : double.NaN,
                    functions.NeedsReadings
                        ? new ReadingsOnly(Nullable(reader, 9), Nullable(reader, 10), Nullable(reader, 11), reader.IsDBNull(12) ? null : reader.GetFieldValue<double[]>(12))
                        : null));
            }
        }

        var aggregates = new List<DeviceAggregate>(devices.Count);
        var buckets = 0L;
        foreach (var ((customer, device), rowsOfDevice) in devices)
        {
            var values = rowsOfDevice.ToValues(functions, layout);
            buckets += values.Count;
            var incompleteBefore = deleted.TryGetValue(customer, out var gone)
                ? RetentionGaps.IncompleteBefore(segments, request.To, layout, gone.Readings, gone.Rollups)
                : null;
            aggregates.Add(new DeviceAggregate(device, customer, layout.Label(request.From), layout.Label(request.To), request.AggregationSizeMinutes,
                values, incompleteBefore is { } before ? layout.Label(before) : null));
        }

        if (buckets > request.MaxBuckets || rows >= MaxRows(request))
        {
            throw TooManyBuckets(request.MaxBuckets);
        }

        aggregates.Sort(static (a, b) => a.CustomerId != b.CustomerId ? a.CustomerId.CompareTo(b.CustomerId) : a.DeviceId.CompareTo(b.DeviceId));
        return aggregates;
    }

    private static double? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    // For fill PREVIOUS: the time of a device's last reading before @from, read backwards on its key. One statement
    // per device, sent together: each names its customer, so that on Citus it is routed to that customer's worker.
    private const string LastReadingBeforeQuery = """
        SELECT recorded_at FROM readings
        WHERE customer_id = @customer_id AND device_id = @device_id AND recorded_at < @from
        ORDER BY recorded_at DESC LIMIT 1
        """;

    // Of the named devices (of the customer in scope, if any), those with a reading before @from: its existence
    // is one backwards step on the device's key.
    private const string DevicesWithReadingBeforeQuery = """
        SELECT d.customer_id, d.id
        FROM devices d
        WHERE d.id = ANY(@device_ids) AND (@customer_id::uuid IS NULL OR d.customer_id = @customer_id)
          AND EXISTS (SELECT 1 FROM readings r WHERE r.customer_id = d.customer_id AND r.device_id = d.id AND r.recorded_at < @from)
        """;

    /// <summary>Which of <paramref name="deviceIds"/> have a reading before the range, under the customer in scope.</summary>
    public async Task<IReadOnlyList<(Guid Customer, Guid Device)>> DevicesWithReadingBeforeAsync(AggregateRequest request, Guid[] deviceIds, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(DevicesWithReadingBeforeQuery);
        command.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds });
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = request.CustomerId is { } customer ? customer : DBNull.Value });
        command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var devices = new List<(Guid Customer, Guid Device)>();
        while (await reader.ReadAsync(ct))
        {
            devices.Add((reader.GetGuid(0), reader.GetGuid(1)));
        }

        return devices;
    }

    // The mean of a device's readings in [bucket start, end); one statement per device, as above.
    private const string MeanBetweenQuery = """
        SELECT avg(reading) FROM readings
        WHERE customer_id = @customer_id AND device_id = @device_id AND recorded_at >= @start AND recorded_at < @end
        """;

    /// <summary>
    /// Per device, the mean of its last non-empty bucket before the range, when it has one (fill PREVIOUS):
    /// only the part of that bucket before <c>from</c>, as the range's own first bucket counts only what lies inside.
    /// </summary>
    public async Task<Dictionary<(Guid Customer, Guid Device), double>> PreviousMeansAsync(
        AggregateRequest request, (Guid Customer, Guid Device)[] devices, CancellationToken ct)
    {
        var lastBefore = new List<(Guid Customer, Guid Device, DateTimeOffset At)>();
        await using (var batch = dataSource.CreateBatch())
        {
            foreach (var (customer, device) in devices)
            {
                var command = new NpgsqlBatchCommand(LastReadingBeforeQuery);
                command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customer });
                command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = device });
                command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
                batch.BatchCommands.Add(command);
            }

            await using var reader = await batch.ExecuteReaderAsync(ct);
            foreach (var (customer, device) in devices)
            {
                if (await reader.ReadAsync(ct))
                {
                    lastBefore.Add((customer, device, reader.GetFieldValue<DateTimeOffset>(0)));
                }

                await reader.NextResultAsync(ct);
            }
        }

        var means = new Dictionary<(Guid Customer, Guid Device), double>();
        if (lastBefore.Count == 0)
        {
            return means;
        }

        await using (var batch = dataSource.CreateBatch())
        {
            foreach (var (customer, device, at) in lastBefore)
            {
                var start = request.Layout.StartOf(at);
                var command = new NpgsqlBatchCommand(MeanBetweenQuery);
                command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customer });
                command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = device });
                command.Parameters.Add(new("start", NpgsqlDbType.TimestampTz) { Value = start.UtcDateTime });
                command.Parameters.Add(new("end", NpgsqlDbType.TimestampTz) { Value = Min(request.Layout.NextStart(start), request.From).UtcDateTime });
                batch.BatchCommands.Add(command);
            }

            await using var reader = await batch.ExecuteReaderAsync(ct);
            foreach (var (customer, device, _) in lastBefore)
            {
                if (await reader.ReadAsync(ct) && !reader.IsDBNull(0))
                {
                    means[(customer, device)] = reader.GetDouble(0);
                }

                await reader.NextResultAsync(ct);
            }
        }

        return means;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    // Twice the allowed buckets: a device's rows exceed its buckets by at most a few (its first and last
    // bucket may come from several parts), so reaching this many rows means too many buckets.
    private static ApiErrorException TooManyBuckets(int maxBuckets) => ApiErrors.BadInput(
        $"The answer would hold more than {maxBuckets} buckets over all devices. "
        + "Use a larger aggregationSizeMinutes, a shorter range, or fewer deviceIds.");

    private static long MaxRows(AggregateRequest request) => (2L * request.MaxBuckets) + 2;

    /// <summary>
    /// One part's row for a bucket: what the rollups keep (NaN where not selected: readings are finite, so no
    /// figure is NaN), and the functions computed from the readings alone, when selected.
    /// </summary>
    private readonly record struct BucketRow(DateTimeOffset Bucket, double Sum, double Count, double Min, double Max, ReadingsOnly? FromReadings);

    private sealed record ReadingsOnly(double? Stddev, double? First, double? Last, double[]? Percentiles);

    /// <summary>One device's rows, in whatever order they come.</summary>
    private sealed class DeviceBuckets
    {
        private readonly List<BucketRow> rows = [];
        private bool ordered = true;

        public void Add(BucketRow row)
        {
            ordered &= rows.Count == 0 || rows[^1].Bucket < row.Bucket;
            rows.Add(row);
        }

        /// <summary>
        /// The buckets in order, each once. Parts share a bucket only at the range's ends and only for what
        /// the rollups keep (the other functions read one part, the readings): those are combined here.
        /// </summary>
        public List<AggregatedValue> ToValues(BucketFunctions functions, BucketLayout layout)
        {
            if (!ordered)
            {
                rows.Sort(static (a, b) => a.Bucket.CompareTo(b.Bucket));
            }

            var values = new List<AggregatedValue>(rows.Count);
            var fractions = functions.Has(BucketFunction.Percentiles) ? functions.PercentileFractions : null;
            var (mean, sum, count) = (functions.Has(BucketFunction.Mean), functions.Has(BucketFunction.Sum), functions.Has(BucketFunction.Count));
            var (min, max) = (functions.Has(BucketFunction.Min), functions.Has(BucketFunction.Max));
            for (var i = 0; i < rows.Count;)
            {
                var row = rows[i++];
                while (i < rows.Count && rows[i].Bucket == row.Bucket)
                {
                    var other = rows[i++];
                    row = row with { Sum = row.Sum + other.Sum, Count = row.Count + other.Count, Min = Math.Min(row.Min, other.Min), Max = Math.Max(row.Max, other.Max) };
                }

                values.Add(new AggregatedValue(
                    layout.Label(row.Bucket), mean ? row.Sum / row.Count : null, min ? row.Min : null, max ? row.Max : null, sum ? row.Sum : null,
                    count ? (int)row.Count : 0, row.FromReadings?.Stddev, row.FromReadings?.First, row.FromReadings?.Last)
                {
                    PercentileFractions = fractions,
                    PercentileValues = row.FromReadings?.Percentiles,
                });
            }

            return values;
        }
    }
}
