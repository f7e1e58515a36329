namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// The statements that answer <c>deviceAggregates</c>, built from named parts: what a request scopes
/// (<see cref="BucketScope"/>), where each part of its range is read from (<see cref="ReadingRollups.Plan(DateTimeOffset, DateTimeOffset, IReadOnlyList{RollupGrain}, IReadOnlyList{ValueTuple{DateTimeOffset, DateTimeOffset}})"/>),
/// how a bucket is found (<see cref="BucketOf"/>) and which figures each part computes (<see cref="Columns"/>).
/// <see cref="DeviceAggregatesReader"/> runs them with their parameters; the unit tests hold their full text for
/// representative requests (<c>expected-sql/</c>). Every filter on customer and series is written only when asked for,
/// so each shape of request gets its own plan. A request names devices, keys and tags; <see cref="SeriesOf"/> turns them
/// into the series (one key of one device) the readings and rollups are kept by.
/// </summary>
public static class BucketStatements
{
    /// <summary>
    /// The series a request covers, with their device and key: of its customer (or every customer's, with none in scope),
    /// of the named devices, keys and tags. A tag filter reads the devices' rows (the tags of the customer that owns
    /// the device now).
    /// </summary>
    public static string SeriesOf(SeriesScope scope) => $"""
        SELECT {(scope.OneCustomer ? "" : CitusDistribution.EveryCustomerMarker + " ")}s.customer_id, s.id, s.device_id, s.key
        FROM {Series.Table} s
        {(scope.Tags ? "JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id AND d.tags @> @tags" : "")}
        WHERE true
          {scope.Filters}
        ORDER BY s.customer_id, s.device_id, s.key
        LIMIT @max_series + 1
        """;

    /// <summary>
    /// The device and key of a customer's series by id: the series an answer over every series holds. A join with the
    /// ids rather than <c>id = ANY(@series_ids)</c>: on a sequential scan (stale statistics) ANY searches the array for
    /// every row, 10 000 ids times every series of the table.
    /// </summary>
    public const string NamesOfSeries = $"""
        SELECT s.id, s.device_id, s.key
        FROM unnest(@series_ids) AS answered(id)
        JOIN {Series.Table} s ON s.customer_id = @customer_id AND s.id = answered.id
        """;

    /// <summary>
    /// The newest value of each series <see cref="SeriesOf"/> finds for one customer, in the same order and under the same
    /// bound, in one statement (one snapshot). A series' row holds its newest value as the materializer last folded it;
    /// that is the answer unless a batch still pending holds a reading of the series at or after that time (a newer
    /// reading, or the same time changed) or the row holds none yet (a series not folded, or one stored before the
    /// value was kept): then one backwards step on its (customer, series, time) key reads it from the readings. So a
    /// customer's dashboard costs a read of the catalog while the materializer keeps up, a step per series only for
    /// what it has not folded, and the answer is exact at every moment: a pass removes its pending rows and writes the
    /// rows' values in one transaction. Routed to the customer's worker on Citus (series, readings and pending rows are
    /// co-located by customer).
    /// </summary>
    public static string LatestOf(SeriesScope scope) => $"""
        WITH pending AS (
            SELECT d.series_id, max(d.last_at) AS last_at
            FROM {PendingRollups.Table} p CROSS JOIN LATERAL unnest(p.series_ids, p.last_at) AS d(series_id, last_at)
            WHERE p.customer_id = @customer_id
            GROUP BY 1
        )
        SELECT s.device_id, s.key, coalesce(unfolded.recorded_at, s.last_reading_at), coalesce(unfolded.reading, s.last_reading)
        FROM {Series.Table} s
        {(scope.Tags ? "JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id AND d.tags @> @tags" : "")}
        LEFT JOIN pending ON pending.series_id = s.id
        LEFT JOIN LATERAL (SELECT recorded_at, reading FROM readings r
                           WHERE (s.last_reading IS NULL OR pending.last_at >= s.last_reading_at)
                             AND r.customer_id = @customer_id AND r.series_id = s.id
                           ORDER BY recorded_at DESC LIMIT 1) unfolded ON true
        WHERE (unfolded.recorded_at IS NOT NULL OR s.last_reading IS NOT NULL)
          {scope.Filters}
        ORDER BY s.device_id, s.key
        LIMIT @max_series + 1
        """;

    /// <summary>The customers with series in scope (an administrator's read across customers, one statement each after it).</summary>
    public static string CustomersOfSeries(SeriesScope scope) => $"""
        SELECT {CitusDistribution.EveryCustomerMarker} DISTINCT s.customer_id
        FROM {Series.Table} s
        {(scope.Tags ? "JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id AND d.tags @> @tags" : "")}
        WHERE true
          {scope.Filters}
        ORDER BY 1
        """;

    /// <summary>
    /// The series of one key of a customer's devices, each with its device's value of tag <c>@group_by</c> (null: the
    /// device has no such tag), for <c>groupAggregates</c>: only devices the customer owns now (their rows hold the tags).
    /// </summary>
    public static string GroupedSeries(SeriesScope scope) => $"""
        SELECT s.customer_id, s.id, s.device_id, s.key, d.tags ->> @group_by AS grp
        FROM {Series.Table} s
        JOIN devices d ON d.customer_id = s.customer_id AND d.id = s.device_id{(scope.Tags ? " AND d.tags @> @tags" : "")}
        WHERE true
          {scope.Filters}
        ORDER BY s.customer_id, s.device_id, s.key
        LIMIT @max_series + 1
        """;

    /// <summary>
    /// Per group and bucket, one answer over the readings of every series of the group (<c>@series_ids</c> and
    /// <c>@groups</c> in parallel): the parts of the plan read per series as for <see cref="Buckets"/>, then summed per
    /// group and bucket, so a group's mean is the mean of its readings (sums over counts), not a mean of means. Only the
    /// figures the rollups keep; the others come from <see cref="GroupReadings"/>.
    /// </summary>
    public static string GroupedBuckets(BucketScope scope, IReadOnlyList<string> parts) => $"""
        WITH {InRange(scope)}
        SELECT g.grp, parts.{BucketColumns.Bucket}, sum(parts.{BucketColumns.Sum}) AS {BucketColumns.Sum}, sum(parts.{BucketColumns.Count}) AS {BucketColumns.Count},
               min(parts.{BucketColumns.Min}) AS {BucketColumns.Min}, max(parts.{BucketColumns.Max}) AS {BucketColumns.Max}
        FROM in_range
        JOIN unnest(@series_ids, @groups) AS g(series_id, grp) ON g.series_id = in_range.series_id
        CROSS JOIN LATERAL ({string.Join("\nUNION ALL\n", parts)}) AS parts ({string.Join(", ", BucketColumns.Names)})
        GROUP BY 1, 2
        """;

    /// <summary>
    /// Per group and bucket, the selected functions over the readings of every series of the group: what the rollups
    /// cannot combine (a standard deviation, first, last or percentile of a group is one of its readings, not of its
    /// devices' answers). Each series read by its own key range.
    /// </summary>
    public static string GroupReadings(bool utc, BucketFunctions functions) => $"""
        SELECT groups.grp, parts.*
        FROM (SELECT DISTINCT grp FROM unnest(@groups) AS x(grp)) AS groups
        CROSS JOIN LATERAL (SELECT {BucketOf(utc, "r.recorded_at")}, {Columns(functions, PartSource.Readings)}
                            FROM unnest(@series_ids, @groups) AS m(series_id, grp)
                            JOIN readings r ON r.customer_id = @customer_id AND r.series_id = m.series_id
                            WHERE m.grp IS NOT DISTINCT FROM groups.grp AND r.recorded_at >= @from AND r.recorded_at < @to
                            GROUP BY 1) AS parts ({string.Join(", ", BucketColumns.Names)})
        """;

    /// <summary>
    /// The CTE <c>in_range</c>: the series with readings in the range, from the daily rollup and, for what is not folded
    /// yet, from the pending spans.
    /// </summary>
    private static string InRange(BucketScope scope) => $"""
        in_range AS (
            SELECT customer_id, series_id
            FROM {ReadingRollups.DailyTable}
            WHERE {DaysOfRange}
              {scope.Filters}
            UNION
            SELECT customer_id, series_id
            FROM {PendingRollups.SpansView}
            WHERE span && tstzrange(@from, @to)
              {scope.Filters}
        )
        """;

    /// <summary>The days of the daily rollup a range touches: where the series with readings in it are found.</summary>
    private static readonly string DaysOfRange =
        $"bucket_start >= {ReadingRollups.Daily.BucketOf("@from")} AND bucket_start < @to";

    /// <summary>
    /// The pending spans over a request's series, merged across them, as half-open (<c>from</c>, <c>to</c>) rows in
    /// time order: read in the same snapshot as the buckets, and read from the readings.
    /// </summary>
    public static string PendingSpans(BucketScope scope) => $"""
        SELECT lower(span), upper(span)
        FROM (SELECT unnest(range_agg(span)) AS span
              FROM {PendingRollups.SpansView}
              WHERE span && tstzrange(@from, @to)
                {scope.Filters}) AS merged
        ORDER BY 1
        """;

    /// <summary>
    /// Series with readings in the range, counted only up to <c>@enough</c>: what the heavy-read budget needs to know,
    /// found in the daily rollup's keys and stopped as soon as it knows. Pending batches are not counted: an estimate, of a moment.
    /// </summary>
    public static string SeriesInRange(BucketScope scope) => $"""
        SELECT {CitusDistribution.EveryCustomerMarker} count(*) FROM (
            SELECT DISTINCT customer_id, series_id FROM {ReadingRollups.DailyTable}
            WHERE {DaysOfRange}
              {scope.Filters}
            LIMIT @enough) AS in_range
        """;

    /// <summary>
    /// The customers with data in the range (of the named series, if any): an administrator's read across customers.
    /// The pending rows first: a pass moves a batch from them to the rollups, and on Citus the two halves are read one
    /// after the other (no snapshot spans the workers), so in this order a batch a pass folds in between is seen in one.
    /// </summary>
    public static string Customers(BucketScope scope) => $"""
        SELECT {CitusDistribution.EveryCustomerMarker} customer_id FROM {PendingRollups.SpansView}
        WHERE span && tstzrange(@from, @to)
          {scope.Filters}
        UNION
        SELECT {CitusDistribution.EveryCustomerMarker} customer_id FROM {ReadingRollups.DailyTable}
        WHERE {DaysOfRange}
          {scope.Filters}
        ORDER BY 1
        """;

    /// <summary>
    /// The buckets of one request (one customer, or, with no customer in scope, every customer at once): the series
    /// with readings in the range, each with how far retention deleted its customer's data (RetentionGaps), and then
    /// <paramref name="parts"/> read for each series. The series come from the daily rollup and, for what is not folded
    /// yet, from the pending spans. The LIMIT bounds the work: every bucket but the first and last of a series comes
    /// from one part, so more rows than that means more buckets than allowed, which is refused. OFFSET 0 keeps the parts
    /// a subquery run for each series: a part that is one plain scan would otherwise be pulled up into a join, and on a
    /// rollup written moments ago (not analyzed yet, estimated at one row) PostgreSQL joined it to in_range by nested loop
    /// with a join filter, 10 500 series times 10 500 buckets, 16 s; as a subquery it is one index range per series, 25 ms.
    /// </summary>
    public static string Buckets(BucketScope scope, IReadOnlyList<string> parts) => $"""
        WITH {InRange(scope)}
        SELECT in_range.customer_id, in_range.series_id, retention.readings_deleted_before, retention.rollups_deleted_before, parts.*
        FROM in_range
        LEFT JOIN customer_retention AS retention ON retention.customer_id = in_range.customer_id
        CROSS JOIN LATERAL ({string.Join("\nUNION ALL\n", parts)}
                            OFFSET 0) AS parts ({string.Join(", ", BucketColumns.Names)})
        LIMIT @max_rows
        """;

    /// <summary>
    /// The buckets of part <paramref name="index"/> of the range (<c>@from_i</c>, <c>@to_i</c>) for one device, from the
    /// readings (<paramref name="grain"/> null) or from a rollup. The key's INCLUDEd figures make each an index-only scan;
    /// a rollup bucket of the answer's own size is an answer bucket already, read without grouping. The customer is named
    /// again beside <c>in_range.customer_id</c> when one is in scope because on Citus the in_range CTE is planned on its own:
    /// joined to its result alone, each part would run on every shard; with the customer's id it is routed to that
    /// customer's shards.
    /// </summary>
    public static string Part(int index, RollupGrain? grain, BucketScope scope, bool sameSizeAsAnswer, bool utc, BucketFunctions functions)
    {
        var customer = scope.OneCustomer ? " AND customer_id = @customer_id" : "";
        if (grain is null)
        {
            return $"""
                SELECT {BucketOf(utc, "recorded_at")}, {Columns(functions, PartSource.Readings)}
                FROM readings
                WHERE customer_id = in_range.customer_id{customer} AND series_id = in_range.series_id AND recorded_at >= @from_{index} AND recorded_at < @to_{index}
                GROUP BY 1
                """;
        }

        return sameSizeAsAnswer
            ? $"""
                SELECT bucket_start, {Columns(functions, PartSource.RollupAsItIs)}
                FROM {grain.Table}
                WHERE customer_id = in_range.customer_id{customer} AND series_id = in_range.series_id AND bucket_start >= @from_{index} AND bucket_start < @to_{index}
                """
            : $"""
                SELECT {BucketOf(utc, "bucket_start")}, {Columns(functions, PartSource.RollupGrouped)}
                FROM {grain.Table}
                WHERE customer_id = in_range.customer_id{customer} AND series_id = in_range.series_id AND bucket_start >= @from_{index} AND bucket_start < @to_{index}
                GROUP BY 1
                """;
    }

    /// <summary>
    /// The bucket of <paramref name="moment"/> (a column): date_bin's in UTC (<c>@aggregation_size_minutes</c>); in a zone, the last of the layout's
    /// bucket starts at or before it (<c>@bucket_starts</c>; width_bucket is a binary search of the sorted array).
    /// </summary>
    public static string BucketOf(bool utc, string moment) => utc
        ? $"date_bin(make_interval(mins => @aggregation_size_minutes), {moment}, {ReadingRollups.Epoch})"
        : $"(@bucket_starts)[width_bucket({moment}, @bucket_starts)]";

    /// <summary>What a part reads its figures from.</summary>
    public enum PartSource
    {
        Readings,
        RollupGrouped,
        RollupAsItIs,
    }

    /// <summary>
    /// A part's figures, in the order of <see cref="BucketColumns.Names"/>: each selected function, or a typed NULL.
    /// A rollup keeps sum, count, minimum and maximum; the rest come from readings alone.
    /// </summary>
    public static string Columns(BucketFunctions functions, PartSource source)
    {
        static string Pick(bool selected, string expression, string type = "float8") => selected ? expression : $"NULL::{type}";
        var needSum = functions.Has(BucketFunction.Mean) || functions.Has(BucketFunction.Sum);
        var needCount = functions.Has(BucketFunction.Mean) || functions.Has(BucketFunction.Count);
        var grouped = source != PartSource.RollupAsItIs;
        string[] columns = source == PartSource.Readings
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
    /// The whole statement for <paramref name="request"/> read over <paramref name="segments"/> (its plan): what
    /// <see cref="DeviceAggregatesReader"/> sends, with parameters <c>@from</c>, <c>@to</c>, <c>@from_i</c>, <c>@to_i</c>,
    /// <c>@max_rows</c> and those of its scope, bucket and functions.
    /// </summary>
    public static string ForPlan(AggregateRequest request, IReadOnlyList<RollupSegment> segments)
    {
        var scope = BucketScope.Of(request);
        var utc = request.Layout.IsUtc;
        var parts = segments.Select((segment, i) => Part(i, segment.Grain, scope,
            sameSizeAsAnswer: utc && segment.Grain?.Minutes == request.AggregationSizeMinutes, utc, request.Functions)).ToList();
        return Buckets(scope, parts);
    }

    /// <summary>
    /// For fill PREVIOUS: the time of a series' last reading before <c>@from</c>, read backwards on its key. One statement
    /// per series, sent together: each names its customer, so that on Citus it is routed to that customer's worker.
    /// </summary>
    public const string LastReadingBefore = """
        SELECT recorded_at FROM readings
        WHERE customer_id = @customer_id AND series_id = @series_id AND recorded_at < @from
        ORDER BY recorded_at DESC LIMIT 1
        """;

    /// <summary>
    /// Of the named series (of the customer in scope, if any), those with a reading before <c>@from</c>: its existence
    /// is one backwards step on the series' key.
    /// </summary>
    public static readonly string SeriesWithReadingBefore = $"""
        SELECT s.customer_id, s.id
        FROM {Series.Table} s
        WHERE s.id = ANY(@series_ids) AND (@customer_id::uuid IS NULL OR s.customer_id = @customer_id)
          AND EXISTS (SELECT 1 FROM readings r WHERE r.customer_id = s.customer_id AND r.series_id = s.id AND r.recorded_at < @from)
        """;

    /// <summary>The mean of a series' readings in [<c>@start</c>, <c>@end</c>); one statement per series, as above.</summary>
    public const string MeanBetween = """
        SELECT avg(reading) FROM readings
        WHERE customer_id = @customer_id AND series_id = @series_id AND recorded_at >= @start AND recorded_at < @end
        """;
}

/// <summary>
/// What the series of a request are found by (<see cref="BucketStatements.SeriesOf"/>): its customer (<c>@customer_id</c>)
/// or every customer, named devices (<c>@device_ids</c>), keys (<c>@keys</c>) and tags (<c>@tags</c>, a jsonb object).
/// </summary>
public sealed record SeriesScope(bool OneCustomer, bool NamedDevices, bool NamedKeys, bool Tags)
{
    public static SeriesScope Of(AggregateRequest request) =>
        new(request.CustomerId is not null, request.DeviceIds is not null, request.Keys is not null, request.Tags is { Count: > 0 });

    /// <summary>Whether the request names anything narrower than every series of its customers.</summary>
    public bool Narrowed => NamedDevices || NamedKeys || Tags;

    public string Filters => string.Join("\n  ", new[]
    {
        OneCustomer ? "AND s.customer_id = @customer_id" : null,
        NamedDevices ? "AND s.device_id = ANY(@device_ids)" : null,
        NamedKeys ? "AND s.key = ANY(@keys)" : null,
    }.OfType<string>());
}

/// <summary>
/// What a request scopes its statements to: one customer (<c>@customer_id</c>) or every customer, and named series
/// (<c>@series_ids</c>, found by <see cref="BucketStatements.SeriesOf"/>) or every series. The same filters scope the
/// pending spans, the series and the customers.
/// </summary>
public sealed record BucketScope(bool OneCustomer, bool NamedSeries)
{
    public static BucketScope Of(AggregateRequest request) => new(request.CustomerId is not null, SeriesScope.Of(request).Narrowed);

    /// <summary>The filters, each an <c>AND</c> on its own line (none: an empty string).</summary>
    public string Filters => string.Join("\n  ", new[]
    {
        OneCustomer ? "AND customer_id = @customer_id" : null,
        NamedSeries ? "AND series_id = ANY(@series_ids)" : null,
    }.OfType<string>());
}

/// <summary>The columns of every part of <see cref="BucketStatements.Buckets"/>, in the order the reader reads them by name.</summary>
public static class BucketColumns
{
    public const string Bucket = "bucket_start";
    public const string Sum = "total";
    public const string Count = "n";
    public const string Min = "low";
    public const string Max = "high";
    public const string Stddev = "stddev";
    public const string First = "first";
    public const string Last = "last";
    public const string Percentiles = "percentiles";

    public static readonly IReadOnlyList<string> Names = [Bucket, Sum, Count, Min, Max, Stddev, First, Last, Percentiles];
}
