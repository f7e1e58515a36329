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
/// the series with readings in the range are found in the daily rollup, and each is then read by its own
/// (customer, series, time) key range (PostgreSQL 15 has no skip scan: a customer-wide time filter on
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
        request = await WithSeriesAsync(request, ct);
        if (request.Series is [] && SeriesScope.Of(request).Narrowed)
        {
            return [];   // nothing of what was named has readings
        }

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

    /// <summary>
    /// The request with its series found (<see cref="NamedSeries"/>, else <see cref="SeriesAsync"/>), unless they are already
    /// or it names none (every series of its customers: those with readings in the range are named as they are answered,
    /// however many the customer has).
    /// </summary>
    public async Task<AggregateRequest> WithSeriesAsync(AggregateRequest request, CancellationToken ct) =>
        request.Series is not null || !SeriesScope.Of(request).Narrowed ? request
        : request with { Series = NamedSeries(request) ?? await SeriesAsync(request, ct) };

    /// <summary>
    /// The series of a customer's request that names its devices and keys and no tags, without asking the catalog (a pure
    /// rule): a series id is made from its device and key (<see cref="SeriesIds"/>), and every statement that reads with
    /// it names the customer too, so a series never written, or another customer's device, reads as no rows. Null when
    /// the catalog must answer: tags, an administrator's request across customers (whose customer owns a device is
    /// the catalog's to say), or more pairs than <see cref="AggregateRequest.MaxSeries"/> (the limit counts the series
    /// that exist). Saves a dashboard's read a round trip and a statement's planning.
    /// </summary>
    public static IReadOnlyList<SeriesName>? NamedSeries(AggregateRequest request)
    {
        if (request is not { CustomerId: { } customer, DeviceIds: { } devices, Keys: { } keys } || SeriesScope.Of(request).Tags
            || (long)devices.Count * keys.Count > AggregateRequest.MaxSeries)
        {
            return null;
        }

        var distinctKeys = keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return [.. devices.Distinct().Order().SelectMany(device => distinctKeys.Select(key => new SeriesName(customer, SeriesIds.Of(device, key), device, key)))];
    }

    /// <summary>
    /// The series the request's devices, keys and tags name (every series of its customers when it names none), in
    /// customer, device and key order; more than <see cref="AggregateRequest.MaxSeries"/> is refused.
    /// </summary>
    public async Task<IReadOnlyList<SeriesName>> SeriesAsync(AggregateRequest request, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(BucketStatements.SeriesOf(SeriesScope.Of(request)));
        AddSeriesScope(request, command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var series = new List<SeriesName>();
        while (await reader.ReadAsync(ct))
        {
            if (series.Count == AggregateRequest.MaxSeries)
            {
                throw TooManySeries();
            }

            series.Add(new SeriesName(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3)));
        }

        return series;
    }

    public static ApiErrorException TooManySeries() =>
        ApiErrors.BadInput($"The request covers more than {AggregateRequest.MaxSeries} series (devices times keys); name fewer deviceIds or keys, or filter by tags.");

    /// <summary>
    /// The parameters of <see cref="SeriesScope"/>'s filters (<c>@customer_id</c>, <c>@device_ids</c>, <c>@keys</c>,
    /// <c>@tags</c>, as the request names them) and <c>@max_series</c>: what finds a request's series.
    /// </summary>
    public static void AddSeriesScope(AggregateRequest request, NpgsqlParameterCollection parameters)
    {
        if (request.CustomerId is { } customerId)
        {
            parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        }

        if (request.DeviceIds is { } deviceIds)
        {
            parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds.ToArray() });
        }

        if (request.Keys is { } keys)
        {
            parameters.Add(new("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys.ToArray() });
        }

        if (SeriesScope.Of(request).Tags)
        {
            parameters.Add(new("tags", NpgsqlDbType.Jsonb) { Value = new DeviceFilter(Tags: request.Tags).TagsJson });
        }

        parameters.Add(new("max_series", NpgsqlDbType.Integer) { Value = AggregateRequest.MaxSeries });
    }

    /// <summary>How many series in scope have readings in the range, counting no further than <paramref name="enough"/>.</summary>
    public async Task<long> CountSeriesAsync(AggregateRequest request, long enough, CancellationToken ct)
    {
        request = await WithSeriesAsync(request, ct);
        await using var command = dataSource.CreateCommand();
        AddScope(request, command.Parameters);
        command.CommandText = BucketStatements.SeriesInRange(BucketScope.Of(request));
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
                own = await ReadAsync(request with
                {
                    CustomerId = customer, MaxBuckets = remaining, Series = request.Series is { } named ? [.. named.Where(s => s.CustomerId == customer)] : null,
                }, ct);
            }
            catch (ApiErrorException) when (remaining < request.MaxBuckets)
            {
                throw TooManyBuckets(request.MaxBuckets);   // the limit is over all customers, not what was left of it
            }

            buckets += own.Sum(a => (long)a.AggregatedValues.Count);
            aggregates.AddRange(own);
        }

        return aggregates;   // in customer order, each sorted by device and key
    }

    // The parameters of the range and of the request's scope (BucketScope writes the matching filters).
    public static void AddScope(AggregateRequest request, NpgsqlParameterCollection parameters)
    {
        parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
        parameters.Add(new("to", NpgsqlDbType.TimestampTz) { Value = request.To.ToUniversalTime() });
        if (request.CustomerId is { } customerId)
        {
            parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        }

        if (BucketScope.Of(request).NamedSeries)
        {
            parameters.Add(new("series_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = request.Series!.Select(s => s.Id).ToArray() });
        }
    }

    /// <summary>
    /// Adds the parameters of the request's buckets, functions and plan (<c>@percentiles</c>, <c>@aggregation_size_minutes</c>
    /// or <c>@bucket_starts</c>, <c>@from_i</c> and <c>@to_i</c>) and returns the plan: where each part of the range is read
    /// from, around the <paramref name="pending"/> spans.
    /// </summary>
    public static IReadOnlyList<RollupSegment> AddPlan(
        AggregateRequest request, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> pending, NpgsqlParameterCollection parameters)
    {
        var (layout, functions) = (request.Layout, request.Functions);
        if (functions.Has(BucketFunction.Percentiles))
        {
            parameters.Add(new("percentiles", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = functions.PercentileFractions.ToArray() });
        }

        IReadOnlyList<RollupGrain> grains;
        if (layout.IsUtc)
        {
            parameters.Add(new("aggregation_size_minutes", NpgsqlDbType.Integer) { Value = request.AggregationSizeMinutes });
            grains = ReadingRollups.For(request.AggregationSizeMinutes);
        }
        else
        {
            var starts = layout.Starts(request.From, request.To);
            parameters.Add(new("bucket_starts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = starts.Select(s => s.UtcDateTime).ToArray() });
            grains = layout.RollupsFor(starts);
        }

        // Functions the rollups do not keep are computed from the readings of the whole range; otherwise what is
        // pending is read from the readings too.
        var segments = ReadingRollups.Plan(request.From, request.To, functions.NeedsReadings ? [] : grains, pending);
        for (var i = 0; i < segments.Count; i++)
        {
            parameters.Add(new($"from_{i}", NpgsqlDbType.TimestampTz) { Value = segments[i].From.ToUniversalTime() });
            parameters.Add(new($"to_{i}", NpgsqlDbType.TimestampTz) { Value = segments[i].To.ToUniversalTime() });
        }

        return segments;
    }

    /// <summary>The device and key of a customer's answered series (a request that named none of them).</summary>
    private static async Task<Dictionary<(Guid Customer, Guid Series), SeriesName>> NamesAsync(NpgsqlConnection connection, Guid customerId, Guid[] seriesIds, CancellationToken ct)
    {
        var names = new Dictionary<(Guid Customer, Guid Series), SeriesName>(seriesIds.Length);
        if (seriesIds.Length == 0)
        {
            return names;
        }

        await using var command = new NpgsqlCommand(BucketStatements.NamesOfSeries, connection);
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        command.Parameters.Add(new("series_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = seriesIds });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var name = new SeriesName(customerId, reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2));
            names[(customerId, name.Id)] = name;
        }

        return names;
    }

    public const string BeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    /// <summary>The pending spans over the request's series, read first in a repeatable-read snapshot left open (<see cref="BeginSnapshot"/>).</summary>
    public static async Task<List<(DateTimeOffset From, DateTimeOffset To)>> PendingSpansAsync(
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

        var segments = AddPlan(request, pending, command.Parameters);
        command.CommandText = BucketStatements.ForPlan(request, segments);

        var devices = new Dictionary<(Guid Customer, Guid Series), DeviceBuckets>();
        DeviceBuckets? current = null;
        (Guid Customer, Guid Series) currentKey = default;
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
                var key = (reader.GetGuid(at.Customer), reader.GetGuid(at.Series));
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
        var names = request.Series?.ToDictionary(s => (s.CustomerId, s.Id))
            ?? await NamesAsync(connection, request.CustomerId!.Value, [.. devices.Keys.Select(k => k.Series)], ct);
        foreach (var ((customer, series), rowsOfDevice) in devices)
        {
            // A series committed after the catalog was read (its first readings arrived meanwhile) is left for the next answer.
            if (!names.TryGetValue((customer, series), out var name))
            {
                continue;
            }

            var values = rowsOfDevice.ToValues(functions, layout);
            buckets += values.Count;
            var incompleteBefore = deleted.TryGetValue(customer, out var gone)
                ? RetentionGaps.IncompleteBefore(segments, request.To, layout, gone.Readings, gone.Rollups)
                : null;
            aggregates.Add(new DeviceAggregate(name.DeviceId, customer, layout.Label(request.From), layout.Label(request.To), request.AggregationSizeMinutes,
                values, incompleteBefore is { } before ? layout.Label(before) : null) { Key = name.Key });
        }

        if (buckets > request.MaxBuckets || rows >= MaxRows(request))
        {
            throw TooManyBuckets(request.MaxBuckets);
        }

        aggregates.Sort(Order);
        return aggregates;
    }

    /// <summary>The order of every answer: by customer, device, then key.</summary>
    public static int Order(DeviceAggregate a, DeviceAggregate b) =>
        a.CustomerId != b.CustomerId ? a.CustomerId.CompareTo(b.CustomerId)
        : a.DeviceId != b.DeviceId ? a.DeviceId.CompareTo(b.DeviceId)
        : string.CompareOrdinal(a.Key, b.Key);

    private static double? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    /// <summary>Where each named column of <see cref="BucketStatements.Buckets"/> is, looked up by name once per answer.</summary>
    private readonly record struct BucketOrdinals(
        int Customer, int Series, int ReadingsDeletedBefore, int RollupsDeletedBefore,
        int Bucket, int Sum, int Count, int Min, int Max, int Stddev, int First, int Last, int Percentiles)
    {
        public static BucketOrdinals Of(NpgsqlDataReader reader) => new(
            reader.GetOrdinal("customer_id"), reader.GetOrdinal("series_id"),
            reader.GetOrdinal("readings_deleted_before"), reader.GetOrdinal("rollups_deleted_before"),
            reader.GetOrdinal(BucketColumns.Bucket), reader.GetOrdinal(BucketColumns.Sum), reader.GetOrdinal(BucketColumns.Count),
            reader.GetOrdinal(BucketColumns.Min), reader.GetOrdinal(BucketColumns.Max), reader.GetOrdinal(BucketColumns.Stddev),
            reader.GetOrdinal(BucketColumns.First), reader.GetOrdinal(BucketColumns.Last), reader.GetOrdinal(BucketColumns.Percentiles));
    }

    /// <summary>Which of <paramref name="seriesIds"/> have a reading before the range, under the customer in scope.</summary>
    public async Task<IReadOnlyList<(Guid Customer, Guid Series)>> SeriesWithReadingBeforeAsync(AggregateRequest request, Guid[] seriesIds, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(BucketStatements.SeriesWithReadingBefore);
        command.Parameters.Add(new("series_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = seriesIds });
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = request.CustomerId is { } customer ? customer : DBNull.Value });
        command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var series = new List<(Guid Customer, Guid Series)>();
        while (await reader.ReadAsync(ct))
        {
            series.Add((reader.GetGuid(0), reader.GetGuid(1)));
        }

        return series;
    }

    /// <summary>
    /// Per series, the mean of its last non-empty bucket before the range, when it has one (fill PREVIOUS):
    /// only the part of that bucket before <c>from</c>, as the range's own first bucket counts only what lies inside.
    /// </summary>
    public async Task<Dictionary<(Guid Customer, Guid Series), double>> PreviousMeansAsync(
        AggregateRequest request, (Guid Customer, Guid Series)[] series, CancellationToken ct)
    {
        var lastBefore = new List<(Guid Customer, Guid Series, DateTimeOffset At)>();
        await using (var batch = dataSource.CreateBatch())
        {
            foreach (var (customer, seriesId) in series)
            {
                var command = new NpgsqlBatchCommand(BucketStatements.LastReadingBefore);
                command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customer });
                command.Parameters.Add(new("series_id", NpgsqlDbType.Uuid) { Value = seriesId });
                command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.ToUniversalTime() });
                batch.BatchCommands.Add(command);
            }

            await using var reader = await batch.ExecuteReaderAsync(ct);
            foreach (var (customer, seriesId) in series)
            {
                if (await reader.ReadAsync(ct))
                {
                    lastBefore.Add((customer, seriesId, reader.GetFieldValue<DateTimeOffset>(0)));
                }

                await reader.NextResultAsync(ct);
            }
        }

        var means = new Dictionary<(Guid Customer, Guid Series), double>();
        if (lastBefore.Count == 0)
        {
            return means;
        }

        await using (var batch = dataSource.CreateBatch())
        {
            foreach (var (customer, seriesId, at) in lastBefore)
            {
                var start = request.Layout.StartOf(at);
                var command = new NpgsqlBatchCommand(BucketStatements.MeanBetween);
                command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customer });
                command.Parameters.Add(new("series_id", NpgsqlDbType.Uuid) { Value = seriesId });
                command.Parameters.Add(new("start", NpgsqlDbType.TimestampTz) { Value = start.UtcDateTime });
                command.Parameters.Add(new("end", NpgsqlDbType.TimestampTz) { Value = Min(request.Layout.NextStart(start), request.From).UtcDateTime });
                batch.BatchCommands.Add(command);
            }

            await using var reader = await batch.ExecuteReaderAsync(ct);
            foreach (var (customer, seriesId, _) in lastBefore)
            {
                if (await reader.ReadAsync(ct) && !reader.IsDBNull(0))
                {
                    means[(customer, seriesId)] = reader.GetDouble(0);
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
