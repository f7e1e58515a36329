namespace IotAspire.Api.Alerts;

/// <summary>
/// A threshold or rate rule's state at each reading, and where it changes (pure rules). The state at a reading depends
/// only on readings near it in reading time, so evaluating the same readings again gives the same changes, whichever
/// replica evaluates and however late a reading came: that is what lets each change be recorded once, by its key.
/// </summary>
public static class AlertTimeline
{
    public readonly record struct Point(DateTimeOffset At, double Value);

    public readonly record struct Transition(AlertChange Change, Point Reading);

    /// <summary>
    /// The state at each of <paramref name="readings"/> (sorted by time). ABOVE/BELOW: the readings from the last one at
    /// or before t - minutes up to t all meet the condition (false when there is no such reading: not known for long
    /// enough). RATE_OF_CHANGE: the change from the earliest reading in [t - minutes, t) to t, per minute, exceeds
    /// threshold in size. A state is exact when the readings reach back far enough (<see cref="AlertEvaluator"/> loads them so).
    /// </summary>
    public static bool[] States(AlertRuleKind kind, double threshold, int minutes, IReadOnlyList<Point> readings)
    {
        var states = new bool[readings.Count];
        var window = TimeSpan.FromMinutes(minutes);
        if (kind is AlertRuleKind.Above or AlertRuleKind.Below)
        {
            var lastFailing = -1;   // the latest index so far whose reading does not meet the condition
            var start = 0;          // advances to the last index at or before t - minutes
            for (var i = 0; i < readings.Count; i++)
            {
                var meets = kind == AlertRuleKind.Above ? readings[i].Value > threshold : readings[i].Value < threshold;
                if (!meets)
                {
                    lastFailing = i;
                }

                while (start + 1 <= i && readings[start + 1].At <= readings[i].At - window)
                {
                    start++;
                }

                states[i] = readings[start].At <= readings[i].At - window && lastFailing < start;
            }

            return states;
        }

        var earliest = 0;
        for (var i = 0; i < readings.Count; i++)
        {
            while (earliest < i && readings[earliest].At < readings[i].At - window)
            {
                earliest++;
            }

            if (earliest < i)
            {
                var perMinute = (readings[i].Value - readings[earliest].Value) / (readings[i].At - readings[earliest].At).TotalMinutes;
                states[i] = Math.Abs(perMinute) > threshold;
            }
        }

        return states;
    }

    /// <summary>
    /// The changes at readings at or after <paramref name="from"/>: where the state differs from the reading before
    /// (before the first reading, not raised). <paramref name="readings"/> must reach back far enough for the state
    /// of the reading before <paramref name="from"/> to be exact.
    /// </summary>
    public static List<Transition> Transitions(AlertRuleKind kind, double threshold, int minutes, IReadOnlyList<Point> readings, DateTimeOffset from)
    {
        var states = States(kind, threshold, minutes, readings);
        var changes = new List<Transition>();
        for (var i = 0; i < readings.Count; i++)
        {
            var before = i > 0 && states[i - 1];
            if (readings[i].At >= from && states[i] != before)
            {
                changes.Add(new Transition(states[i] ? AlertChange.Raised : AlertChange.Cleared, readings[i]));
            }
        }

        return changes;
    }
}
