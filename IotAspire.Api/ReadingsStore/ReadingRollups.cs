namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Exact rollups of the readings: per device, the count, sum, minimum and maximum of its readings in each
/// five minutes (the API's default bucket), hour and UTC day (buckets aligned to the Unix epoch, as
/// <c>deviceAggregates</c> aligns its own).
/// They are kept after commit by the materializer (ReadingsStore/RollupMaterializer.cs): a bucket no
/// pending span touches (<see cref="PendingRollups"/>) has the same count as the readings (its sum differs from
/// a sum over raw rows only in the order the additions were made); reads take the readings for the rest.
/// </summary>
public static class ReadingRollups
{
    public const string FiveMinuteTable = "readings_five_minute";
    public const string HourlyTable = "readings_hourly";
    public const string DailyTable = "readings_daily";

    public static readonly RollupGrain FiveMinute = new(FiveMinuteTable, 5);
    public static readonly RollupGrain Hourly = new(HourlyTable, 60);
    public static readonly RollupGrain Daily = new(DailyTable, 1_440);

    /// <summary>Where every bucket is aligned, as SQL: the Unix epoch.</summary>
    public const string Epoch = "TIMESTAMPTZ '1970-01-01 00:00:00+00'";

    /// <summary>Every rollup, finest first: what the materializer keeps, each summed from the one before it.</summary>
    public static readonly IReadOnlyList<RollupGrain> All = [FiveMinute, Hourly, Daily];

    /// <summary>
    /// The rollups whose buckets tile a bucket of <paramref name="aggregationSizeMinutes"/>, coarsest first
    /// (none: the readings answer alone). Both are aligned to the epoch, so a whole multiple of the grain is
    /// enough.
    /// </summary>
    public static IReadOnlyList<RollupGrain> For(int aggregationSizeMinutes) =>
        [.. All.Reverse().Where(grain => aggregationSizeMinutes % grain.Minutes == 0)];

    /// <summary>
    /// Where to read [<paramref name="from"/>, <paramref name="to"/>) from, in time order: the whole buckets
    /// of the coarsest usable rollup, then the edges left over from the next finer one, and the readings
    /// only for what no rollup bucket fits (less than an hour at each end).
    /// </summary>
    public static IReadOnlyList<RollupSegment> Plan(DateTimeOffset from, DateTimeOffset to, int aggregationSizeMinutes) =>
        Plan(from, to, For(aggregationSizeMinutes));

    /// <summary>As above, with the rollups that tile the answer's buckets (coarsest first; none: the readings alone).</summary>
    public static IReadOnlyList<RollupSegment> Plan(DateTimeOffset from, DateTimeOffset to, IReadOnlyList<RollupGrain> grains) =>
        Plan(from, to, grains, []);

    /// <summary>
    /// As above, around the spans whose readings the rollups may not hold yet (<paramref name="pending"/>: in
    /// time order, disjoint, half-open): those are read from the readings, and no rollup bucket that overlaps
    /// one is used (a bucket is whole inside the parts between them, or not used).
    /// </summary>
    public static IReadOnlyList<RollupSegment> Plan(
        DateTimeOffset from, DateTimeOffset to, IReadOnlyList<RollupGrain> grains, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> pending)
    {
        var segments = new List<RollupSegment>();
        var cursor = from;
        foreach (var (pendingFrom, pendingTo) in pending)
        {
            var start = pendingFrom > cursor ? pendingFrom : cursor;
            var end = pendingTo < to ? pendingTo : to;
            if (start >= end)
            {
                continue;
            }

            Cover(cursor, start, grains, segments);
            Add(segments, new RollupSegment(null, start, end));
            cursor = end;
        }

        Cover(cursor, to, grains, segments);
        return segments;
    }

    // Neighbouring parts read from the readings are one part.
    private static void Add(List<RollupSegment> segments, RollupSegment segment)
    {
        if (segment.Grain is null && segments.Count > 0 && segments[^1] is { Grain: null } last && last.To == segment.From)
        {
            segments[^1] = last with { To = segment.To };
            return;
        }

        segments.Add(segment);
    }

    private static void Cover(DateTimeOffset from, DateTimeOffset to, IReadOnlyList<RollupGrain> grains, List<RollupSegment> segments)
    {
        if (from >= to)
        {
            return;
        }

        if (grains.Count == 0)
        {
            Add(segments, new RollupSegment(null, from, to));
            return;
        }

        if (CoveredSpan(from, to, grains[0]) is not { } covered)
        {
            Cover(from, to, grains.Skip(1).ToArray(), segments);
            return;
        }

        Cover(from, covered.From, grains.Skip(1).ToArray(), segments);
        Add(segments, new RollupSegment(grains[0], covered.From, covered.To));
        Cover(covered.To, to, grains.Skip(1).ToArray(), segments);
    }

    /// <summary>
    /// The part of [<paramref name="from"/>, <paramref name="to"/>) that whole buckets of <paramref name="grain"/>
    /// cover, or null when no whole bucket fits; what lies outside it is read from the readings.
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To)? CoveredSpan(DateTimeOffset from, DateTimeOffset to, RollupGrain grain)
    {
        var ticks = TimeSpan.FromMinutes(grain.Minutes).Ticks;
        var start = from.UtcTicks % ticks == 0 ? from.UtcTicks : from.UtcTicks - (from.UtcTicks % ticks) + ticks;
        var end = to.UtcTicks - (to.UtcTicks % ticks);
        return start < end ? (new DateTimeOffset(start, TimeSpan.Zero), new DateTimeOffset(end, TimeSpan.Zero)) : null;
    }
}

/// <summary>
/// A rollup table and the length of its buckets. Each grain is a whole multiple of the one before it in
/// <see cref="ReadingRollups.All"/>, which its buckets are summed from.
/// </summary>
public sealed record RollupGrain(string Table, int Minutes)
{
    /// <summary>The grain's name in the SQL built over it (the table's name without <c>readings_</c>).</summary>
    public string Name => Table.StartsWith("readings_", StringComparison.Ordinal) ? Table["readings_".Length..] : Table;

    /// <summary>The bucket length as an SQL interval literal: <c>INTERVAL '5 minutes'</c>, <c>'1 hour'</c>, <c>'1 day'</c>.</summary>
    public string Interval => Minutes % 1_440 == 0 ? Plural(Minutes / 1_440, "day")
        : Minutes % 60 == 0 ? Plural(Minutes / 60, "hour")
        : Plural(Minutes, "minute");

    /// <summary>The start of the bucket holding <paramref name="moment"/> (an SQL expression), aligned to the Unix epoch.</summary>
    public string BucketOf(string moment) => $"date_bin({Interval}, {moment}, {ReadingRollups.Epoch})";

    private static string Plural(int count, string unit) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"INTERVAL '{count} {unit}{(count == 1 ? "" : "s")}'");
}

/// <summary>Part of a range, read from a rollup (whole buckets of it) or, when <see cref="Grain"/> is null, from the readings.</summary>
public sealed record RollupSegment(RollupGrain? Grain, DateTimeOffset From, DateTimeOffset To);
