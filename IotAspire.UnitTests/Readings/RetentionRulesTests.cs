using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Errors;
using IotAspire.Api.Retention;

namespace IotAspire.UnitTests.Readings;

/// <summary>The pure rules of retention: which periods are allowed, and which buckets an answer flags.</summary>
public sealed class RetentionRulesTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData(1, null)]
    [InlineData(30, 30)]
    [InlineData(30, 365)]
    [InlineData(36_600, 36_600)]
    public void Allowed_periods_pass(int? readings, int? rollups) => ManageRetention.Check(readings, rollups);

    [Theory]
    [InlineData(null, 30, "keepRollupsDays needs keepReadingsDays")]
    [InlineData(0, null, "keepReadingsDays must be between 1")]
    [InlineData(36_601, null, "keepReadingsDays must be between 1")]
    [InlineData(30, 29, "keepRollupsDays must be between keepReadingsDays (30)")]
    [InlineData(30, 40_000, "keepRollupsDays must be between keepReadingsDays (30)")]
    public void Other_periods_are_refused_with_the_rule(int? readings, int? rollups, string message)
    {
        var refused = Assert.Throws<ApiErrorException>(() => ManageRetention.Check(readings, rollups));
        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.Contains(message, refused.Message);
    }

    private static readonly DateTimeOffset ReadingsGone = DateTimeOffset.Parse("2026-10-29T00:00:00Z");
    private static readonly DateTimeOffset RollupsGone = DateTimeOffset.Parse("2026-08-30T00:00:00Z");

    private static DateTimeOffset? Flag(string from, string to, int size, DateTimeOffset? readings, DateTimeOffset? rollups)
    {
        var (f, t) = (DateTimeOffset.Parse(from), DateTimeOffset.Parse(to));
        return RetentionGaps.IncompleteBefore(ReadingRollups.Plan(f, t, size), t, BucketLayout.Utc(size), readings, rollups);
    }

    [Fact]
    public void Nothing_deleted_or_a_range_inside_the_kept_window_is_complete()
    {
        Assert.Null(Flag("2026-01-01T00:03:00Z", "2026-11-28T00:00:00Z", 60, null, null));
        Assert.Null(Flag("2026-11-01T00:03:00Z", "2026-11-28T00:00:00Z", 1, ReadingsGone, RollupsGone));
        Assert.Null(Flag("2026-09-01T00:00:00Z", "2026-11-28T00:00:00Z", 60, ReadingsGone, RollupsGone));   // aligned: all from rollups
    }

    [Fact]
    public void A_size_the_rollups_tile_is_flagged_only_where_the_rollups_are_gone()
    {
        Assert.Equal(RollupsGone, Flag("2026-07-01T00:00:00Z", "2026-11-28T00:00:00Z", 60, ReadingsGone, RollupsGone));
        // An unaligned start reads its first minutes from the (deleted) readings: that first bucket is flagged.
        Assert.Equal(DateTimeOffset.Parse("2026-09-01T01:00:00Z"), Flag("2026-09-01T00:03:00Z", "2026-11-28T00:00:00Z", 60, ReadingsGone, RollupsGone));
        Assert.Equal(DateTimeOffset.Parse("2026-09-01T00:05:00Z"), Flag("2026-09-01T00:03:00Z", "2026-11-28T00:00:00Z", 5, ReadingsGone, RollupsGone));
    }

    [Fact]
    public void A_size_only_the_readings_serve_is_flagged_up_to_the_readings_cutoff()
    {
        Assert.Equal(ReadingsGone, Flag("2026-09-01T00:00:00Z", "2026-11-28T00:00:00Z", 3, ReadingsGone, RollupsGone));
        // The bucket that holds the cut-off lacks its first part: flagged up to its end.
        Assert.Equal(DateTimeOffset.Parse("2026-10-29T00:09:00Z"), Flag("2026-10-28T23:00:00Z", "2026-11-28T00:00:00Z", 11, ReadingsGone, RollupsGone));
        // A range wholly before the cut-off: every bucket is flagged (up to the range's end).
        Assert.Equal(DateTimeOffset.Parse("2026-10-02T00:00:00Z"), Flag("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", 1, ReadingsGone, RollupsGone));
    }
}
