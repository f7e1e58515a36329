using System.Runtime.InteropServices;
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

    /// <summary>How many devices in scope have readings in the range, counting no further than <paramref name="enough"/>.</summary>
    public async Task<long> CountDevicesAsync(AggregateRequest request, long enough, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand();
        AddScope(request, command.Parameters);
        command.CommandText = BucketStatements.DevicesInRange(BucketScope.Of(request));
        command.Parameters.Add(new("enough", NpgsqlDbType.Bigint) { Value = enough });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

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
            AddScope(request, command.Parameters);
            command.CommandText = BucketStatements.Customers(BucketScope.Of(request));
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

    // The parameters of the range and of the request's scope (BucketScope writes the matching filters).
    private static void AddScope(AggregateRequest request, NpgsqlParameterCollection parameters)
    {
        parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
        parameters.Add(new("to", NpgsqlDbType.TimestampTz) { Value = request.To.ToUniversalTime() });
        if (request.CustomerId is { } customerId)
        {
            parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        }

        if (request.DeviceIds is { } deviceIds)
        {
            parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds.ToArray() });
        }
    }

    private const string BeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    private static async Task<List<(DateTimeOffset From, DateTimeOffset To)>> PendingSpansAsync(
        AggregateRequest request, NpgsqlConnection connection, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(BeginSnapshot) } };
        var spansQuery = new NpgsqlBatchCommand();
        AddScope(request, spansQuery.Parameters);
        spansQuery.CommandText = BucketStatements.PendingSpans(BucketScope.Of(request));
        batch.BatchCommands.Add(spansQuery);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var spans = new List<(DateTimeOffset From, DateTimeOffset To)>();
        while (await reader.ReadAsync(ct))
        {
            spans.Add((reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return spans;
    }

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

        AddScope(request, command.Parameters);
        command.Parameters.Add(new("max_rows", NpgsqlDbType.Bigint) { Value = MaxRows(request) });

        if (functions.Has(BucketFunction.Percentiles))
        {
            command.Parameters.Add(new("percentiles", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = functions.PercentileFractions.ToArray() });
        }

        IReadOnlyList<RollupGrain> grains;
        if (layout.IsUtc)
        {
            command.Parameters.Add(new("aggregation_size_minutes", NpgsqlDbType.Integer) { Value = request.AggregationSizeMinutes });
            grains = ReadingRollups.For(request.AggregationSizeMinutes);
        }
        else
        {
            var starts = layout.Starts(request.From, request.To);
            command.Parameters.Add(new("bucket_starts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = starts.Select(s => s.UtcDateTime).ToArray() });
            grains = layout.RollupsFor(starts);
        }

        // Functions the rollups do not keep are computed from the readings of the whole range; otherwise what is
        // pending is read from the readings too.
        var segments = ReadingRollups.Plan(request.From, request.To, functions.NeedsReadings ? [] : grains, pending);
        for (var i = 0; i < segments.Count; i++)
        {
            command.Parameters.Add(new($"from_{i}", NpgsqlDbType.TimestampTz) { Value = segments[i].From.ToUniversalTime() });
            command.Parameters.Add(new($"to_{i}", NpgsqlDbType.TimestampTz) { Value = segments[i].To.ToUniversalTime() });
        }

        command.CommandText = BucketStatements.ForPlan(request, segments);

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
            var at = BucketOrdinals.Of(reader);
            while (await reader.ReadAsync(ct))
            {
                rows++;
                var key = (reader.GetGuid(at.Customer), reader.GetGuid(at.Device));
                if (current is null || key != currentKey)
                {
                    currentKey = key;
                    current = CollectionsMarshal.GetValueRefOrAddDefault(devices, key, out _) ??= new DeviceBuckets();
                    if (!reader.IsDBNull(at.ReadingsDeletedBefore))
                    {
                        deleted[key.Item1] = (reader.GetFieldValue<DateTimeOffset>(at.ReadingsDeletedBefore),
                            reader.IsDBNull(at.RollupsDeletedBefore) ? null : reader.GetFieldValue<DateTimeOffset>(at.RollupsDeletedBefore));
                    }
                }

                // Only the selected columns are read (the others are NULL); a large answer reads 100 000 rows.
                current.Add(new BucketRow(
                    reader.GetFieldValue<DateTimeOffset>(at.Bucket),
                    readSum ? reader.GetDouble(at.Sum) : double.NaN, readCount ? reader.GetDouble(at.Count) : double.NaN,
                    readMin ? reader.GetDouble(at.Min) : double.NaN, readMax ? reader.GetDouble(at.Max) : double.NaN,
                    functions.NeedsReadings
                        ? new ReadingsOnly(Nullable(reader, at.Stddev), Nullable(reader, at.First), Nullable(reader, at.Last),
                            reader.IsDBNull(at.Percentiles) ? null : reader.GetFieldValue<double[]>(at.Percentiles))
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

    /// <summary>Where each named column of <see cref="BucketStatements.Buckets"/> is, looked up by name once per answer.</summary>
    private readonly record struct BucketOrdinals(
        int Customer, int Device, int ReadingsDeletedBefore, int RollupsDeletedBefore,
        int Bucket, int Sum, int Count, int Min, int Max, int Stddev, int First, int Last, int Percentiles)
    {
        public static BucketOrdinals Of(NpgsqlDataReader reader) => new(
            reader.GetOrdinal("customer_id"), reader.GetOrdinal("device_id"),
            reader.GetOrdinal("readings_deleted_before"), reader.GetOrdinal("rollups_deleted_before"),
            reader.GetOrdinal(BucketColumns.Bucket), reader.GetOrdinal(BucketColumns.Sum), reader.GetOrdinal(BucketColumns.Count),
            reader.GetOrdinal(BucketColumns.Min), reader.GetOrdinal(BucketColumns.Max), reader.GetOrdinal(BucketColumns.Stddev),
            reader.GetOrdinal(BucketColumns.First), reader.GetOrdinal(BucketColumns.Last), reader.GetOrdinal(BucketColumns.Percentiles));
    }

    /// <summary>Which of <paramref name="deviceIds"/> have a reading before the range, under the customer in scope.</summary>
    public async Task<IReadOnlyList<(Guid Customer, Guid Device)>> DevicesWithReadingBeforeAsync(AggregateRequest request, Guid[] deviceIds, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(BucketStatements.DevicesWithReadingBefore);
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
                var command = new NpgsqlBatchCommand(BucketStatements.LastReadingBefore);
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
                var command = new NpgsqlBatchCommand(BucketStatements.MeanBetween);
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
