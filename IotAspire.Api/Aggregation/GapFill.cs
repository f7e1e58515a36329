namespace IotAspire.Api.Aggregation;

/// <summary>Fills the empty buckets of one device's answer (<see cref="FillMode"/>); a pure rule.</summary>
public static class GapFill
{
    /// <summary>The buckets of [from, to): from the one that holds <paramref name="from"/> to the one that holds the range's last instant.</summary>
    public static long BucketCount(DateTimeOffset from, DateTimeOffset to, int sizeMinutes)
    {
        var size = TimeSpan.FromMinutes(sizeMinutes);
        return ((Buckets.StartOf(to.AddTicks(-1), size) - Buckets.StartOf(from, size)).Ticks / size.Ticks) + 1;
    }

    /// <summary>
    /// <paramref name="values"/> (a device's non-empty buckets, in order) with every other bucket of the range
    /// added as <paramref name="mode"/> says. <paramref name="previous"/>: the last non-empty bucket's value
    /// before the range, which <see cref="FillMode.Previous"/> carries into the range's first empty buckets.
    /// </summary>
    public static IReadOnlyList<AggregatedValue> Apply(
        IReadOnlyList<AggregatedValue> values, DateTimeOffset from, DateTimeOffset to, int sizeMinutes, FillMode mode, double? previous = null)
    {
        if (mode == FillMode.None)
        {
            return values;
        }

        var size = TimeSpan.FromMinutes(sizeMinutes).Ticks;
        var first = Buckets.StartOf(from, TimeSpan.FromTicks(size)).UtcTicks;
        var count = (int)BucketCount(from, to, sizeMinutes);
        var filled = new AggregatedValue[count];
        var known = new double?[count];
        foreach (var value in values)
        {
            var index = (int)((value.From.UtcTicks - first) / size);
            known[index] = value.Value;
            filled[index] = value;
        }

        var carried = previous;
        var before = -1;   // the last non-empty bucket seen, for LINEAR
        for (var i = 0; i < count; i++)
        {
            var at = new DateTimeOffset(first + (i * size), TimeSpan.Zero);
            if (known[i] is { } value)
            {
                carried = value;
                if (mode == FillMode.Linear && before >= 0 && before < i - 1)
                {
                    var start = known[before]!.Value;
                    for (var j = before + 1; j < i; j++)
                    {
                        filled[j] = filled[j] with { Value = start + ((value - start) * (j - before) / (i - before)) };
                    }
                }

                before = i;
                continue;
            }

            filled[i] = new AggregatedValue(at, mode == FillMode.Previous ? carried : null);
        }

        return filled;
    }
}
