namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// The statements that answer <c>deviceAggregates</c>, built from named parts: what a request scopes
/// (<see cref="BucketScope"/>), where each part of its range is read from (<see cref="ReadingRollups.Plan(DateTimeOffset, DateTimeOffset, IReadOnlyList{RollupGrain}, IReadOnlyList{ValueTuple{DateTimeOffset, DateTimeOffset}})"/>),
/// how a bucket is found (<see cref="BucketOf"/>) and which figures each part computes (<see cref="Columns"/>).
/// <see cref="DeviceAggregatesReader"/> runs them with their parameters; the unit tests hold their full text for
/// representative requests (<c>expected-sql/</c>). Every filter on customer and device is written only when asked for,
/// so each shape of request gets its own plan.
/// </summary>
public static class BucketStatements
{
    /// <summary>The days of the daily rollup a range touches: where the devices with readings in it are found.</summary>
    private static readonly string DaysOfRange =
        $"bucket_start >= {ReadingRollups.Daily.BucketOf("@from")} AND bucket_start < @to";

    /// <summary>
    /// The pending spans over a request's devices, merged across them, as half-open (<c>from</c>, <c>to</c>) rows in
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
    /// Devices with readings in the range, counted only up to <c>@enough</c>: what the heavy-read budget needs to know,
    /// found in the daily rollup's keys and stopped as soon as it knows. Pending batches are not counted: an estimate, of a moment.
    /// </summary>
    public static string DevicesInRange(BucketScope scope) => $"""
        SELECT {CitusDistribution.EveryCustomerMarker} count(*) FROM (
            SELECT DISTINCT customer_id, device_id FROM {ReadingRollups.DailyTable}
            WHERE {DaysOfRange}
              {scope.Filters}
            LIMIT @enough) AS devices
        """;

    /// <summary>
    /// The customers with data in the range (of the named devices, if any): an administrator's read across customers.
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
    /// The buckets of one request (one customer, or, with no customer in scope, every customer at once): the devices
    /// with readings in the range, each with how far retention deleted its customer's data (RetentionGaps), and then
    /// <paramref name="parts"/> read for each device. The devices come from the daily rollup and, for what is not folded
    /// yet, from the pending spans. The LIMIT bounds the work: every bucket but the first and last of a device comes
    /// from one part, so more rows than that means more buckets than allowed, which is refused.
    /// </summary>
    public static string Buckets(BucketScope scope, IReadOnlyList<string> parts) => $"""
        WITH devices AS (
            SELECT customer_id, device_id
            FROM {ReadingRollups.DailyTable}
            WHERE {DaysOfRange}
              {scope.Filters}
            UNION
            SELECT customer_id, device_id
            FROM {PendingRollups.SpansView}
            WHERE span && tstzrange(@from, @to)
              {scope.Filters}
        )
        SELECT devices.customer_id, devices.device_id, retention.readings_deleted_before, retention.rollups_deleted_before, parts.*
        FROM devices
        LEFT JOIN customer_retention AS retention ON retention.customer_id = devices.customer_id
        CROSS JOIN LATERAL ({string.Join("\nUNION ALL\n", parts)}) AS parts ({string.Join(", ", BucketColumns.Names)})
        LIMIT @max_rows
        """;

    /// <summary>
    /// The buckets of part <paramref name="index"/> of the range (<c>@from_i</c>, <c>@to_i</c>) for one device, from the
    /// readings (<paramref name="grain"/> null) or from a rollup. The key's INCLUDEd figures make each an index-only scan;
    /// a rollup bucket of the answer's own size is an answer bucket already, read without grouping. The customer is named
    /// again beside <c>devices.customer_id</c> when one is in scope because on Citus the devices CTE is planned on its own:
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
                WHERE customer_id = devices.customer_id{customer} AND device_id = devices.device_id AND recorded_at >= @from_{index} AND recorded_at < @to_{index}
                GROUP BY 1
                """;
        }

        return sameSizeAsAnswer
            ? $"""
                SELECT bucket_start, {Columns(functions, PartSource.RollupAsItIs)}
                FROM {grain.Table}
                WHERE customer_id = devices.customer_id{customer} AND device_id = devices.device_id AND bucket_start >= @from_{index} AND bucket_start < @to_{index}
                """
            : $"""
                SELECT {BucketOf(utc, "bucket_start")}, {Columns(functions, PartSource.RollupGrouped)}
                FROM {grain.Table}
                WHERE customer_id = devices.customer_id{customer} AND device_id = devices.device_id AND bucket_start >= @from_{index} AND bucket_start < @to_{index}
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
    /// For fill PREVIOUS: the time of a device's last reading before <c>@from</c>, read backwards on its key. One statement
    /// per device, sent together: each names its customer, so that on Citus it is routed to that customer's worker.
    /// </summary>
    public const string LastReadingBefore = """
        SELECT recorded_at FROM readings
        WHERE customer_id = @customer_id AND device_id = @device_id AND recorded_at < @from
        ORDER BY recorded_at DESC LIMIT 1
        """;

    /// <summary>
    /// Of the named devices (of the customer in scope, if any), those with a reading before <c>@from</c>: its existence
    /// is one backwards step on the device's key.
    /// </summary>
    public const string DevicesWithReadingBefore = """
        SELECT d.customer_id, d.id
        FROM devices d
        WHERE d.id = ANY(@device_ids) AND (@customer_id::uuid IS NULL OR d.customer_id = @customer_id)
          AND EXISTS (SELECT 1 FROM readings r WHERE r.customer_id = d.customer_id AND r.device_id = d.id AND r.recorded_at < @from)
        """;

    /// <summary>The mean of a device's readings in [<c>@start</c>, <c>@end</c>); one statement per device, as above.</summary>
    public const string MeanBetween = """
        SELECT avg(reading) FROM readings
        WHERE customer_id = @customer_id AND device_id = @device_id AND recorded_at >= @start AND recorded_at < @end
        """;
}

/// <summary>
/// What a request scopes its statements to: one customer (<c>@customer_id</c>) or every customer, and named devices
/// (<c>@device_ids</c>) or every device. The same filters scope the pending spans, the devices and the customers.
/// </summary>
public sealed record BucketScope(bool OneCustomer, bool NamedDevices)
{
    public static BucketScope Of(AggregateRequest request) => new(request.CustomerId is not null, request.DeviceIds is not null);

    /// <summary>The filters, each an <c>AND</c> on its own line (none: an empty string).</summary>
    public string Filters => string.Join("\n  ", new[]
    {
        OneCustomer ? "AND customer_id = @customer_id" : null,
        NamedDevices ? "AND device_id = ANY(@device_ids)" : null,
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
