using IotAspire.Api.Errors;

namespace IotAspire.Api.Readings;

/// <summary>
/// The times the API accepts, for readings and for query ranges alike. PostgreSQL's timestamptz would take
/// far more (and turns 9999-12-31T23:59:59.9999999 into 'infinity'), and keeps microseconds, not the
/// 100 ns ticks of .NET: a finer time would be silently merged with its neighbour, so it is refused.
/// </summary>
public static class ReadingTime
{
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset End = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Refuses a time outside [<see cref="Earliest"/>, <see cref="End"/>] or finer than a microsecond;
    /// <paramref name="name"/> is what the caller called it (<c>readings[3].timestamp</c>, <c>from</c>).</summary>
    public static void Check(DateTimeOffset time, string name)
    {
        if (IsValid(time))
        {
            return;
        }

        if (time < Earliest || time > End)
        {
            throw ApiErrors.BadInput($"{name} ({time:O}) is outside the accepted range {Earliest:yyyy-MM-dd} to {End:yyyy-MM-dd} (UTC).");
        }

        if (time.UtcTicks % TimeSpan.TicksPerMicrosecond != 0)
        {
            throw ApiErrors.BadInput($"{name} ({time:O}) is finer than a microsecond, which is what is stored; send at most 6 fractional digits.");
        }
    }

    /// <summary>Whether <see cref="Check"/> accepts <paramref name="time"/>, without naming it.</summary>
    public static bool IsValid(DateTimeOffset time) =>
        time >= Earliest && time <= End && time.UtcTicks % TimeSpan.TicksPerMicrosecond == 0;

    /// <summary>A stored time as messages show it: UTC, to the microsecond.</summary>
    public static string Text(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
