using IotAspire.Api.Errors;
using NodaTime;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Where an answer's buckets start: a pure rule of the bucket size and the time zone.
/// <list type="bullet">
/// <item>UTC (and any zone that never leaves offset 0): buckets of any size aligned to the Unix epoch, as
/// PostgreSQL's <c>date_bin</c> aligns them.</item>
/// <item>Another zone, with a size that is a whole number of days: that many calendar days, each from local
/// midnight (or the day's first instant, where midnight is skipped), counted from 1970-01-01 in that zone.
/// A day-long bucket on a daylight-saving day covers 23 or 25 hours.</item>
/// <item>Another zone, with a size that divides a day: buckets start at every instant whose local time is a
/// whole number of sizes past local midnight. A local time the clocks skip starts its bucket when they
/// jump; one they pass twice starts a bucket each time. So hourly buckets follow the local hours: 23 on
/// the day clocks go forward, 25 on the day they go back.</item>
/// </list>
/// Other sizes with a zone are refused: their buckets would have no local time to align to.
/// </summary>
public sealed class BucketLayout : IEquatable<BucketLayout>
{
    private const int MinutesPerDay = 1_440;
    private static readonly LocalDate EpochDate = new(1970, 1, 1);

    private readonly DateTimeZone? zone;   // null: UTC, epoch-aligned

    private BucketLayout(int sizeMinutes, DateTimeZone? zone)
    {
        SizeMinutes = sizeMinutes;
        this.zone = zone;
    }

    public int SizeMinutes { get; }

    /// <summary>The zone's IANA name ("UTC" for the epoch-aligned layout).</summary>
    public string TimeZone => zone?.Id ?? "UTC";

    public bool IsUtc => zone is null;

    public static BucketLayout Utc(int sizeMinutes) => new(sizeMinutes, null);

    /// <summary>The layout for <paramref name="timeZone"/> (an IANA name), or the reason to refuse it.</summary>
    public static BucketLayout For(int sizeMinutes, string? timeZone)
    {
        if (timeZone is null or "UTC")
        {
            return Utc(sizeMinutes);
        }

        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone)
            ?? throw ApiErrors.BadInput($"timeZone '{timeZone}' is not an IANA time zone name; use one such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\".");
        if (zone.MinOffset == Offset.Zero && zone.MaxOffset == Offset.Zero)
        {
            return Utc(sizeMinutes);
        }

        if (MinutesPerDay % sizeMinutes != 0 && sizeMinutes % MinutesPerDay != 0)
        {
            throw ApiErrors.BadInput(
                $"With timeZone '{timeZone}', aggregationSizeMinutes must divide a day (such as 15, 60 or 360) or be a whole number of days (1440, 10080), not {sizeMinutes}: "
                + "buckets align to local midnight. Leave timeZone out for buckets of any size aligned to the Unix epoch in UTC.");
        }

        return new BucketLayout(sizeMinutes, zone);
    }

    /// <summary>The start of the bucket that holds <paramref name="time"/>.</summary>
    public DateTimeOffset StartOf(DateTimeOffset time)
    {
        if (zone is null)
        {
            return EpochFloor(time, TimeSpan.FromMinutes(SizeMinutes));
        }

        var instant = Instant.FromDateTimeOffset(time);
        var date = instant.InZone(zone).Date;
        if (SizeMinutes >= MinutesPerDay)
        {
            return zone.AtStartOfDay(AlignedDate(date)).ToDateTimeOffset().ToUniversalTime();
        }

        var starts = DayStarts(date);
        var i = starts.Count - 1;
        while (starts[i] > instant)
        {
            i--;
        }

        return starts[i].ToDateTimeOffset();
    }

    /// <summary>The start of the bucket after the one that starts at <paramref name="start"/>.</summary>
    public DateTimeOffset NextStart(DateTimeOffset start)
    {
        if (zone is null)
        {
            return start.AddMinutes(SizeMinutes);
        }

        var starts = Starts(start, start.AddTicks(1).AddMinutes(SizeMinutes).AddHours(3));
        return starts.Count > 1 ? starts[1] : throw new InvalidOperationException($"No bucket follows {start:O}.");
    }

    /// <summary>The starts of the buckets of [from, to), from the one that holds <paramref name="from"/> (UTC offsets).</summary>
    public List<DateTimeOffset> Starts(DateTimeOffset from, DateTimeOffset to)
    {
        var first = StartOf(from);
        var starts = new List<DateTimeOffset>();
        if (zone is null)
        {
            for (var at = first; at < to; at = at.AddMinutes(SizeMinutes))
            {
                starts.Add(at);
            }

            return starts;
        }

        var end = Instant.FromDateTimeOffset(to);
        var date = Instant.FromDateTimeOffset(first).InZone(zone).Date;
        if (SizeMinutes >= MinutesPerDay)
        {
            for (var day = AlignedDate(date); ; day = day.PlusDays(SizeMinutes / MinutesPerDay))
            {
                var start = zone.AtStartOfDay(day).ToInstant();
                if (start >= end)
                {
                    return starts;
                }

                starts.Add(start.ToDateTimeOffset());
            }
        }

        var from0 = Instant.FromDateTimeOffset(first);
        for (var day = date; ; day = day.PlusDays(1))
        {
            foreach (var start in DayStarts(day))
            {
                if (start >= end)
                {
                    return starts;
                }

                if (start >= from0)
                {
                    starts.Add(start.ToDateTimeOffset());
                }
            }
        }
    }

    /// <summary>
    /// The rollups whose buckets lie each within one bucket of this layout over [from, to), coarsest first:
    /// in UTC those whose size divides the bucket size; in a zone, those to whose size every bucket start
    /// inside the range is aligned (hourly for a zone of whole-hour offsets, five-minute for India's +05:30).
    /// </summary>
    public IReadOnlyList<RollupGrain> RollupsFor(IReadOnlyList<DateTimeOffset> starts)
    {
        if (zone is null)
        {
            return ReadingRollups.For(SizeMinutes);
        }

        return [.. ReadingRollups.All.Reverse().Where(grain => starts.Skip(1).All(start => EpochFloor(start, TimeSpan.FromMinutes(grain.Minutes)) == start))];
    }

    /// <summary>
    /// <paramref name="time"/> with the layout's offset at that instant, as the answer labels it. An offset
    /// of seconds (local mean time before 1972 in a few zones) cannot be a <see cref="DateTimeOffset"/>'s:
    /// such an instant is labelled in UTC.
    /// </summary>
    public DateTimeOffset Label(DateTimeOffset time)
    {
        if (zone is null)
        {
            return time;
        }

        var offset = zone.GetUtcOffset(Instant.FromDateTimeOffset(time)).ToTimeSpan();
        return offset.Ticks % TimeSpan.TicksPerMinute == 0 ? time.ToOffset(offset) : time;
    }

    /// <summary>The start of the epoch-aligned bucket of <paramref name="size"/> that holds <paramref name="time"/> (also before 1970).</summary>
    private static DateTimeOffset EpochFloor(DateTimeOffset time, TimeSpan size)
    {
        var sinceEpoch = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var whole = Math.DivRem(sinceEpoch, size.Ticks, out var rest);
        return DateTimeOffset.UnixEpoch.AddTicks((whole - (rest < 0 ? 1 : 0)) * size.Ticks);
    }

    private LocalDate AlignedDate(LocalDate date)
    {
        var days = SizeMinutes / MinutesPerDay;
        var since = Period.DaysBetween(EpochDate, date);
        return EpochDate.PlusDays(since - (((since % days) + days) % days));
    }

    /// <summary>The bucket starts of one local day (a size that divides a day), in order.</summary>
    private List<Instant> DayStarts(LocalDate date)
    {
        var zone = this.zone!;
        var dayStart = zone.AtStartOfDay(date).ToInstant();
        var nextDay = zone.AtStartOfDay(date.PlusDays(1)).ToInstant();
        var perDay = MinutesPerDay / SizeMinutes;
        var starts = new List<Instant>(perDay + 2);
        var interval = zone.GetZoneInterval(dayStart);
        if ((!interval.HasEnd || interval.End >= nextDay) && nextDay - dayStart == Duration.FromDays(1))
        {
            // No offset change that day (nearly every day): local midnight plus whole sizes. (A day can also
            // change offset at its very start, as Chile's skipped midnight does: its length tells.)
            for (var k = 0; k < perDay; k++)
            {
                starts.Add(dayStart + Duration.FromMinutes((long)k * SizeMinutes));
            }

            return starts;
        }

        starts.Add(dayStart);
        for (var k = 0; k < perDay; k++)
        {
            var mapping = zone.MapLocal(date.At(LocalTime.Midnight.PlusMinutes(k * SizeMinutes)));
            if (mapping.Count == 0)
            {
                starts.Add(mapping.LateInterval.Start);   // skipped: the bucket starts when the clocks jump
            }
            else
            {
                starts.Add(mapping.First().ToInstant());
                starts.Add(mapping.Last().ToInstant());   // passed twice: once per offset
            }
        }

        starts.Sort();
        var distinct = new List<Instant>(starts.Count);
        foreach (var start in starts)
        {
            if ((distinct.Count == 0 || distinct[^1] != start) && start >= dayStart && start < nextDay)
            {
                distinct.Add(start);
            }
        }

        return distinct;
    }

    public bool Equals(BucketLayout? other) => other is not null && SizeMinutes == other.SizeMinutes && TimeZone == other.TimeZone;

    public override bool Equals(object? obj) => Equals(obj as BucketLayout);

    public override int GetHashCode() => HashCode.Combine(SizeMinutes, TimeZone);
}
