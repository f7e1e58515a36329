
namespace IotAspire.Api.ReadingsStore;

/// <summary>Which buckets of an answer lack data that retention deleted (a pure rule).</summary>
public static class RetentionGaps
{
    /// <summary>
    /// The start of the first bucket that no deleted data belongs to, or null when the answer is complete.
    /// A part read from the readings is missing what lies before <paramref name="readingsDeletedBefore"/>; a
    /// part read from a rollup, what lies before <paramref name="rollupsDeletedBefore"/> (the rollups are kept
    /// longer, so a bucket size they tile is answered from them past the readings' retention). Every bucket
    /// that starts before the end of the missing data may lack some of it.
    /// </summary>
    public static DateTimeOffset? IncompleteBefore(
        IReadOnlyList<RollupSegment> segments, DateTimeOffset to, BucketLayout layout,
        DateTimeOffset? readingsDeletedBefore, DateTimeOffset? rollupsDeletedBefore)
    {
        DateTimeOffset? missingUntil = null;
        foreach (var segment in segments)
        {
            var deletedBefore = segment.Grain is null ? readingsDeletedBefore : rollupsDeletedBefore;
            if (deletedBefore is { } deleted && segment.From < deleted)
            {
                var end = segment.To < deleted ? segment.To : deleted;
                missingUntil = missingUntil is { } known && known > end ? known : end;
            }
        }

        if (missingUntil is not { } until)
        {
            return null;
        }

        // The bucket after the one that holds the last missing tick.
        var next = layout.NextStart(layout.StartOf(until.AddTicks(-1)));
        return next < to ? next : to;
    }
}
