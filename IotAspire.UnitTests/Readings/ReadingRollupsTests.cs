using System.Globalization;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.Readings;

public sealed class ReadingRollupsTests
{
    [Theory]
    [InlineData(1, null)]
    [InlineData(7, null)]
    [InlineData(5, 5)]
    [InlineData(90, 5)]
    [InlineData(60, 60)]
    [InlineData(180, 60)]
    [InlineData(2_100, 60)]   // 35 hours: hours tile it, days do not
    [InlineData(1_440, 1_440)]
    [InlineData(10_080, 1_440)]
    [InlineData(527_040, 1_440)]
    public void The_rollups_that_tile_the_bucket_are_chosen_coarsest_first(int aggregationSizeMinutes, int? grainMinutes) =>
        Assert.Equal(grainMinutes, ReadingRollups.For(aggregationSizeMinutes) is [var coarsest, ..] ? coarsest.Minutes : null);

    [Fact]
    public void A_day_sized_bucket_reads_whole_days_then_hours_then_five_minutes_then_readings_at_each_end()
    {
        var plan = ReadingRollups.Plan(Time("2024-01-01T10:18:00Z"), Time("2024-01-05T02:33:00Z"), 1_440);

        Assert.Equal(
            [
                (null, Time("2024-01-01T10:18:00Z"), Time("2024-01-01T10:20:00Z")),
                (5, Time("2024-01-01T10:20:00Z"), Time("2024-01-01T11:00:00Z")),
                (60, Time("2024-01-01T11:00:00Z"), Time("2024-01-02T00:00:00Z")),
                (1_440, Time("2024-01-02T00:00:00Z"), Time("2024-01-05T00:00:00Z")),
                (60, Time("2024-01-05T00:00:00Z"), Time("2024-01-05T02:00:00Z")),
                (5, Time("2024-01-05T02:00:00Z"), Time("2024-01-05T02:30:00Z")),
                (null, Time("2024-01-05T02:30:00Z"), Time("2024-01-05T02:33:00Z")),
            ],
            plan.Select(s => (s.Grain?.Minutes, s.From, s.To)));
    }

    [Theory]
    [InlineData("2024-01-01T10:20:00Z", "2024-01-01T10:50:00Z", 60)]
    [InlineData("2024-01-01T10:00:00Z", "2024-01-03T00:00:00Z", 5)]
    [InlineData("2024-01-01T10:00:00Z", "2024-01-03T00:00:00Z", 7)]
    [InlineData("2024-01-01T10:00:00Z", "2024-01-03T00:00:00Z", 1_440)]
    [InlineData("2024-01-01T10:00:01Z", "2024-01-01T11:00:00Z", 120)]
    public void The_segments_tile_the_range_in_order_without_gaps_or_overlaps(string from, string to, int size)
    {
        var plan = ReadingRollups.Plan(Time(from), Time(to), size);

        Assert.Equal(Time(from), plan[0].From);
        Assert.Equal(Time(to), plan[^1].To);
        Assert.All(plan.Zip(plan.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));
        Assert.All(plan, s => Assert.True(s.From < s.To));
        Assert.All(plan.Where(s => s.Grain is not null), s => Assert.Equal(0, size % s.Grain!.Minutes));
    }

    [Theory]
    [InlineData("2024-01-01T00:00:00Z", "2024-01-01T05:00:00Z", "2024-01-01T00:00:00Z", "2024-01-01T05:00:00Z")]
    [InlineData("2024-01-01T00:00:01Z", "2024-01-01T05:59:59Z", "2024-01-01T01:00:00Z", "2024-01-01T05:00:00Z")]
    [InlineData("2024-01-01T00:30:00+02:00", "2024-01-01T05:00:00Z", "2023-12-31T23:00:00Z", "2024-01-01T05:00:00Z")]
    [InlineData("2024-01-01T00:10:00Z", "2024-01-01T00:50:00Z", null, null)]
    [InlineData("2024-01-01T00:10:00Z", "2024-01-01T01:50:00Z", null, null)]
    public void Only_whole_hours_inside_the_range_are_covered(string from, string to, string? coveredFrom, string? coveredTo)
    {
        var covered = ReadingRollups.CoveredSpan(Time(from), Time(to), ReadingRollups.Hourly);

        Assert.Equal(coveredFrom is null ? null : (Time(coveredFrom), Time(coveredTo!)), covered);
    }

    [Fact]
    public void Days_are_UTC_days_counted_from_the_Unix_epoch()
    {
        var covered = ReadingRollups.CoveredSpan(
            Time("2024-02-28T12:00:00Z"), Time("2024-03-02T01:00:00-05:00"), ReadingRollups.Daily);

        Assert.Equal((Time("2024-02-29T00:00:00Z"), Time("2024-03-02T00:00:00Z")), covered);
        Assert.Equal(0, (covered!.Value.From - DateTimeOffset.UnixEpoch).Ticks % TimeSpan.TicksPerDay);
    }

    [Fact]
    public void Pending_spans_are_read_from_the_readings_and_no_rollup_bucket_overlapping_one_is_used()
    {
        // A day-sized answer over three days with two pending spans: one inside the second day, one across
        // the last midnight (merged spans, as the reader gets them).
        var pending = new[]
        {
            (Time("2024-01-02T10:03:00Z"), Time("2024-01-02T10:07:00.000001Z")),
            (Time("2024-01-03T23:59:00Z"), Time("2024-01-04T00:01:00Z")),
        };

        var plan = ReadingRollups.Plan(Time("2024-01-01T00:00:00Z"), Time("2024-01-04T06:00:00Z"), ReadingRollups.For(1_440), pending);

        Assert.Equal(
            [
                (1_440, Time("2024-01-01T00:00:00Z"), Time("2024-01-02T00:00:00Z")),
                (60, Time("2024-01-02T00:00:00Z"), Time("2024-01-02T10:00:00Z")),
                (null, Time("2024-01-02T10:00:00Z"), Time("2024-01-02T10:10:00Z")),   // the pending span and the partial five minutes around it
                (5, Time("2024-01-02T10:10:00Z"), Time("2024-01-02T11:00:00Z")),
                (60, Time("2024-01-02T11:00:00Z"), Time("2024-01-03T23:00:00Z")),
                (5, Time("2024-01-03T23:00:00Z"), Time("2024-01-03T23:55:00Z")),
                (null, Time("2024-01-03T23:55:00Z"), Time("2024-01-04T00:05:00Z")),
                (5, Time("2024-01-04T00:05:00Z"), Time("2024-01-04T01:00:00Z")),
                (60, Time("2024-01-04T01:00:00Z"), Time("2024-01-04T06:00:00Z")),
            ],
            plan.Select(s => (s.Grain?.Minutes, s.From, s.To)));
        Assert.All(plan.Where(s => s.Grain is not null), s => Assert.DoesNotContain(pending, p => p.Item1 < s.To && s.From < p.Item2));
    }

    [Fact]
    public void Pending_spans_outside_the_range_change_nothing_and_one_covering_it_reads_only_readings()
    {
        var (from, to) = (Time("2024-01-01T00:00:00Z"), Time("2024-01-02T00:00:00Z"));

        Assert.Equal(ReadingRollups.Plan(from, to, 60), ReadingRollups.Plan(from, to, ReadingRollups.For(60), [(Time("2023-12-31T10:00:00Z"), Time("2023-12-31T11:00:00Z"))]));
        Assert.Equal([new RollupSegment(null, from, to)], ReadingRollups.Plan(from, to, ReadingRollups.For(60), [(from.AddDays(-1), to.AddDays(1))]));
    }

    private static DateTimeOffset Time(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);
}
