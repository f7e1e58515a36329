namespace IotAspire.Api.Alerts;

/// <summary>When a NO_DATA rule changes (a pure rule, against the clock).</summary>
public static class NoDataRule
{
    public readonly record struct Change(AlertChange State, DateTimeOffset At);

    /// <summary>
    /// The change due now, or null. Silence is measured from the device's last reading, or from the rule's creation
    /// when that is later; the rule is raised once it has lasted <paramref name="minutes"/> (at that moment, in reading
    /// time), and cleared by a reading from after the silence began (at that reading, or at the raise if the reading came late).
    /// </summary>
    public static Change? Decide(int minutes, DateTimeOffset createdAt, DateTimeOffset? lastReadingAt, (AlertChange State, DateTimeOffset At)? current, DateTimeOffset now)
    {
        var window = TimeSpan.FromMinutes(minutes);
        if (current is { State: AlertChange.Raised, At: var raisedAt })
        {
            return lastReadingAt is { } last && last > raisedAt - window ? new Change(AlertChange.Cleared, last > raisedAt ? last : raisedAt) : null;
        }

        var quietSince = lastReadingAt is { } at && at > createdAt ? at : createdAt;
        return now - quietSince >= window ? new Change(AlertChange.Raised, quietSince + window) : null;
    }
}
