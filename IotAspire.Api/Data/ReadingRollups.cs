namespace IotAspire.Api.Data;

/// <summary>
/// Exact rollups of the readings: per device, the count, sum, minimum and maximum of its readings in each
/// hour and each UTC day (buckets aligned to the Unix epoch, as <c>deviceAggregates</c> aligns its own).
/// They are kept inside the ingest transaction that changes the readings: inserted readings are added to
/// their buckets; a batch that changes stored values recomputes its buckets from the readings. So a
/// committed reading is always in its rollups, and a bucket served from a rollup has the same count as
/// the readings (its sum differs from a sum over raw rows only in the order the additions were made).
/// </summary>
public static class ReadingRollups
{
    public const string HourlyTable = "readings_hourly";
    public const string DailyTable = "readings_daily";

    public static readonly RollupGrain Hourly = new(HourlyTable, 60);
    public static readonly RollupGrain Daily = new(DailyTable, 1_440);

    /// <summary>
    /// The coarsest rollup whose buckets tile a bucket of <paramref name="aggregationSizeMinutes"/>, or null
    /// when none does (the readings then answer alone). Both are aligned to the epoch, so a whole multiple
    /// of the grain is enough.
    /// </summary>
    public static RollupGrain? For(int aggregationSizeMinutes) =>
        aggregationSizeMinutes % Daily.Minutes == 0 ? Daily
        : aggregationSizeMinutes % Hourly.Minutes == 0 ? Hourly
        : null;

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

/// <summary>A rollup table and the length of its buckets.</summary>
public sealed record RollupGrain(string Table, int Minutes);
