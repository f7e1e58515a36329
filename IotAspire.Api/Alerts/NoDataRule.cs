namespace IotAspire.Api.Alerts;

/// <summary>When a NO_DATA rule changes (a pure rule, against the clock).</summary>
public static class NoDataRule
{
    public readonly record struct Change(AlertChange State, DateTimeOffset At);

    /// <summary>
    /// The change due now, or null. Silence is measured from the device's last reading (from the rule's creation when it
    /// has none); the rule is raised once it has lasted <paramref name="minutes"/>, at that moment in reading time, or at
    /// the rule's creation for a device already silent then. It is cleared by a reading newer than the last one when it
    /// was raised (<paramref name="current"/>'s reading), at that reading, or at the raise if the reading came late.
    /// </summary>
    public static Change? Decide(
        int minutes, DateTimeOffset createdAt, DateTimeOffset? lastReadingAt, (AlertChange State, DateTimeOffset At, DateTimeOffset? ReadingAt)? current, DateTimeOffset now)
    {
        if (current is { State: AlertChange.Raised, At: var raisedAt, ReadingAt: var silentAfter })
        {
            return lastReadingAt is { } last && (silentAfter is null || last > silentAfter) ? new Change(AlertChange.Cleared, last > raisedAt ? last : raisedAt) : null;
        }

        var quietSince = lastReadingAt ?? createdAt;
        var due = quietSince + TimeSpan.FromMinutes(minutes);
        return now >= due ? new Change(AlertChange.Raised, due > createdAt ? due : createdAt) : null;
    }
}
