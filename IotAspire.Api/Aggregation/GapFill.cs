using IotAspire.Api.ReadingsStore;
namespace IotAspire.Api.Aggregation;

/// <summary>Fills the empty buckets of one device's answer (<see cref="FillMode"/>); a pure rule.</summary>
public static class GapFill
{
    /// <summary>
    /// <paramref name="values"/> (a device's non-empty buckets, in order) with every other bucket of the range
    /// (<paramref name="starts"/>, from <see cref="BucketLayout.Starts"/>) added as <paramref name="mode"/> says.
    /// <paramref name="previous"/>: the last non-empty bucket's value before the range, which
    /// <see cref="FillMode.Previous"/> carries into the range's first empty buckets. <paramref name="label"/>:
    /// how an added bucket's start is written (its zone's offset).
    /// </summary>
    public static IReadOnlyList<AggregatedValue> Apply(
        IReadOnlyList<AggregatedValue> values, IReadOnlyList<DateTimeOffset> starts, FillMode mode, double? previous = null,
        Func<DateTimeOffset, DateTimeOffset>? label = null)
    {
        if (mode == FillMode.None)
        {
            return values;
        }

        var filled = new AggregatedValue[starts.Count];
        var known = new double?[starts.Count];
        var next = 0;
        for (var i = 0; i < starts.Count; i++)
        {
            if (next < values.Count && values[next].From == starts[i])
            {
                known[i] = values[next].Value;
                filled[i] = values[next++];
            }
        }

        var carried = previous;
        var before = -1;   // the last non-empty bucket seen, for LINEAR
        for (var i = 0; i < starts.Count; i++)
        {
            if (filled[i] is not null)
            {
                if (known[i] is not { } value)
                {
                    continue;   // the mean was not selected: nothing to carry or draw a line from
                }

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

            filled[i] = new AggregatedValue(label is null ? starts[i] : label(starts[i]), mode == FillMode.Previous ? carried : null);
        }

        return filled;
    }
}
