using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Errors;

namespace IotAspire.UnitTests.Readings;

/// <summary>
/// Where buckets start in a time zone (a pure rule), across daylight-saving changes in Europe and America,
/// with a 30-minute offset (India) and a 30-minute daylight-saving shift (Lord Howe Island), and where a
/// zone skips midnight itself. Expected times are written out by hand from the zones' published rules.
/// </summary>
public sealed class BucketLayoutTests
{
    private static DateTimeOffset T(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static string[] Labels(BucketLayout layout, string from, string to) =>
        [.. layout.Starts(T(from), T(to)).Select(s => layout.Label(s).ToString("yyyy-MM-ddTHH:mmzzz", System.Globalization.CultureInfo.InvariantCulture))];

    [Fact]
    public void A_day_in_Berlin_is_a_calendar_day_of_23_or_25_hours_across_the_changes()
    {
        var days = BucketLayout.For(1_440, "Europe/Berlin");
        Assert.Equal(["2026-03-28T00:00+01:00", "2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00"], Labels(days, "2026-03-28T00:00+01:00", "2026-03-31T00:00+02:00"));
        Assert.Equal(TimeSpan.FromHours(23), days.NextStart(T("2026-03-29T00:00+01:00")) - T("2026-03-29T00:00+01:00"));
        Assert.Equal(TimeSpan.FromHours(25), days.NextStart(T("2026-10-25T00:00+02:00")) - T("2026-10-25T00:00+02:00"));
        Assert.Equal(T("2026-10-25T00:00+02:00"), days.StartOf(T("2026-10-25T23:59:59+01:00")));
    }

    [Fact]
    public void Hours_in_Berlin_follow_the_local_clock_23_on_the_spring_day_and_25_on_the_autumn_day()
    {
        var hours = BucketLayout.For(60, "Europe/Berlin");
        var spring = Labels(hours, "2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00");
        Assert.Equal(23, spring.Length);
        Assert.Equal(["2026-03-29T01:00+01:00", "2026-03-29T03:00+02:00"], spring[1..3]);

        var autumn = Labels(hours, "2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00");
        Assert.Equal(25, autumn.Length);
        Assert.Equal(["2026-10-25T02:00+02:00", "2026-10-25T02:00+01:00", "2026-10-25T03:00+01:00"], autumn[2..5]);
    }

    [Fact]
    public void Half_days_in_New_York_start_at_local_noon_and_midnight_and_the_autumn_half_is_13_hours()
    {
        var halves = BucketLayout.For(720, "America/New_York");
        Assert.Equal(["2026-11-01T00:00-04:00", "2026-11-01T12:00-05:00", "2026-11-02T00:00-05:00"], Labels(halves, "2026-11-01T00:00-04:00", "2026-11-02T12:00-05:00"));
        Assert.Equal(TimeSpan.FromHours(13), T("2026-11-01T12:00-05:00") - T("2026-11-01T00:00-04:00"));
        Assert.Equal(["2026-03-08T00:00-05:00", "2026-03-08T12:00-04:00"], Labels(halves, "2026-03-08T00:00-05:00", "2026-03-08T23:00-04:00"));
    }

    [Fact]
    public void India_s_half_hour_offset_puts_hours_at_half_past_in_UTC_and_days_at_18_30()
    {
        var hours = BucketLayout.For(60, "Asia/Kolkata");
        Assert.Equal(T("2026-01-01T09:30Z"), hours.StartOf(T("2026-01-01T10:10Z")));
        Assert.Equal(T("2025-12-31T18:30Z"), BucketLayout.For(1_440, "Asia/Kolkata").StartOf(T("2026-01-01T10:10Z")));
        Assert.Equal("2026-01-01T15:00+05:30", Labels(hours, "2026-01-01T09:30Z", "2026-01-01T10:00Z").Single());

        // Hourly rollups no longer tile its buckets; five-minute ones do.
        Assert.Equal([ReadingRollups.FiveMinute], hours.RollupsFor(hours.Starts(T("2026-01-01T00:00Z"), T("2026-01-03T00:00Z"))));
        var berlin = BucketLayout.For(1_440, "Europe/Berlin");
        Assert.Equal([ReadingRollups.Hourly, ReadingRollups.FiveMinute], berlin.RollupsFor(berlin.Starts(T("2026-03-01T00:00Z"), T("2026-04-01T00:00Z"))));
    }

    [Fact]
    public void Lord_Howe_s_half_hour_changes_give_a_half_hour_bucket_and_one_of_ninety_minutes()
    {
        // Clocks go from 02:00 +10:30 to 02:30 +11:00 on 2026-10-04, and back from 02:00 +11:00 to 01:30 +10:30 on 2026-04-05.
        var hours = BucketLayout.For(60, "Australia/Lord_Howe");
        var spring = Labels(hours, "2026-10-04T00:00+10:30", "2026-10-04T05:00+11:00");
        Assert.Equal(["2026-10-04T00:00+10:30", "2026-10-04T01:00+10:30", "2026-10-04T02:30+11:00", "2026-10-04T03:00+11:00", "2026-10-04T04:00+11:00"], spring);

        var autumn = Labels(hours, "2026-04-05T00:00+11:00", "2026-04-05T03:00+10:30");
        Assert.Equal(["2026-04-05T00:00+11:00", "2026-04-05T01:00+11:00", "2026-04-05T02:00+10:30"], autumn);   // 01:30-02:00 passes twice
    }

    [Fact]
    public void A_day_whose_midnight_is_skipped_starts_when_the_clocks_jump()
    {
        // Chile (America/Santiago) moved clocks from 24:00 to 01:00 on 2026-09-06.
        var days = BucketLayout.For(1_440, "America/Santiago");
        Assert.Equal(T("2026-09-06T01:00-03:00"), days.StartOf(T("2026-09-06T12:00-03:00")));
        Assert.Equal(TimeSpan.FromHours(23), days.NextStart(T("2026-09-06T01:00-03:00")) - T("2026-09-06T01:00-03:00"));
    }

    [Fact]
    public void Weeks_are_seven_local_days_counted_from_1970_01_01_like_UTC_weeks()
    {
        var weeks = BucketLayout.For(10_080, "Europe/Berlin");
        Assert.Equal(T("2026-03-26T00:00+01:00"), weeks.StartOf(T("2026-03-30T12:00+02:00")));   // a Thursday, as 1970-01-01 was
        Assert.Equal(T("2026-03-26T00:00Z"), BucketLayout.Utc(10_080).StartOf(T("2026-03-30T12:00Z")));
    }

    [Theory]
    [InlineData("UTC")]
    [InlineData("Etc/UTC")]
    [InlineData("Etc/GMT")]
    [InlineData(null)]
    public void Zones_that_never_leave_UTC_keep_the_epoch_aligned_layout_for_any_size(string? zone)
    {
        var layout = BucketLayout.For(7, zone);
        Assert.True(layout.IsUtc);
        Assert.Equal(BucketLayout.Utc(7), layout);
        Assert.Equal(T("2026-01-01T00:07Z"), layout.StartOf(T("2026-01-01T00:08Z")));   // 2026-01-01 began a whole number of 7-minute buckets after 1970
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons", "is not an IANA time zone name")]
    [InlineData("europe/berlin ", "is not an IANA time zone name")]
    [InlineData("", "is not an IANA time zone name")]
    public void An_unknown_zone_is_refused_by_name(string zone, string message)
    {
        var refused = Assert.Throws<ApiErrorException>(() => BucketLayout.For(60, zone));
        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.Contains($"'{zone}' {message}", refused.Message);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(2_000)]
    public void Sizes_without_a_local_time_to_align_to_are_refused_in_a_zone(int size)
    {
        var refused = Assert.Throws<ApiErrorException>(() => BucketLayout.For(size, "Europe/Berlin"));
        Assert.Contains("must divide a day", refused.Message);
    }

    [Fact]
    public void Every_bucket_start_of_a_year_lies_in_order_and_each_instant_falls_in_the_bucket_that_StartOf_names()
    {
        foreach (var zone in new[] { "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/Santiago" })
        {
            foreach (var size in new[] { 30, 90, 1_440 })
            {
                var layout = BucketLayout.For(size, zone);
                var starts = layout.Starts(T("2026-01-01T00:00Z"), T("2027-01-01T00:00Z"));
                Assert.True(starts.Zip(starts.Skip(1)).All(p => p.First < p.Second), $"{zone} {size}: starts out of order");
                for (var i = 0; i + 1 < starts.Count; i += 97)
                {
                    Assert.Equal(starts[i], layout.StartOf(starts[i]));
                    Assert.Equal(starts[i], layout.StartOf(starts[i + 1].AddTicks(-1)));
                    Assert.Equal(starts[i + 1], layout.NextStart(starts[i]));
                }
            }
        }
    }
}
