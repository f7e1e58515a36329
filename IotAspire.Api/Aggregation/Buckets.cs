namespace IotAspire.Api.Aggregation;

/// <summary>Buckets as the API aligns them: to the Unix epoch in UTC, as PostgreSQL's <c>date_bin</c> does.</summary>
public static class Buckets
{
    /// <summary>The start of the bucket of <paramref name="size"/> that holds <paramref name="time"/> (also before 1970).</summary>
    public static DateTimeOffset StartOf(DateTimeOffset time, TimeSpan size)
    {
        var sinceEpoch = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var whole = Math.DivRem(sinceEpoch, size.Ticks, out var rest);
        return DateTimeOffset.UnixEpoch.AddTicks((whole - (rest < 0 ? 1 : 0)) * size.Ticks);
    }
}
