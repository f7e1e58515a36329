using IotAspire.Api.Aggregation;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.Readings;

/// <summary>Each fill mode over ranges with leading, inner and trailing gaps (a pure rule).</summary>
public sealed class GapFillTests
{
    private static readonly DateTimeOffset From = DateTimeOffset.Parse("2022-01-01T00:00:00Z");
    private static readonly DateTimeOffset To = From.AddMinutes(60);   // twelve 5-minute buckets

    // Readings in buckets 2 (value 10), 3 (20) and 7 (60): a leading gap (0-1), an inner one (4-6), a trailing one (8-11).
    private static readonly AggregatedValue[] Values = [new(From.AddMinutes(10), 10), new(From.AddMinutes(15), 20), new(From.AddMinutes(35), 60)];

    private static readonly BucketLayout FiveMinutes = BucketLayout.Utc(5);

    private static double?[] Fill(FillMode mode, double? previous = null) =>
        [.. GapFill.Apply(Values, FiveMinutes.Starts(From, To), mode, previous).Select(v => v.Value)];

    [Fact]
    public void None_leaves_the_answer_as_it_is() => Assert.Same(Values, GapFill.Apply(Values, FiveMinutes.Starts(From, To), FillMode.None));

    [Fact]
    public void Null_gives_every_bucket_of_the_range_in_order()
    {
        var filled = GapFill.Apply(Values, FiveMinutes.Starts(From, To), FillMode.Null);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => From.AddMinutes(5 * i)), filled.Select(v => v.From));
        Assert.Equal([null, null, 10, 20, null, null, null, 60, null, null, null, null], filled.Select(v => v.Value));
    }

    [Fact]
    public void Previous_carries_the_last_value_forward_and_starts_from_before_the_range()
    {
        Assert.Equal([null, null, 10, 20, 20, 20, 20, 60, 60, 60, 60, 60], Fill(FillMode.Previous));
        Assert.Equal([7, 7, 10, 20, 20, 20, 20, 60, 60, 60, 60, 60], Fill(FillMode.Previous, previous: 7));
    }

    [Fact]
    public void Linear_draws_straight_lines_between_neighbours_and_leaves_the_edges_null()
    {
        Assert.Equal([null, null, 10, 20, 30, 40, 50, 60, null, null, null, null], Fill(FillMode.Linear));
    }

    [Fact]
    public void A_range_that_starts_and_ends_inside_buckets_counts_the_partial_ones()
    {
        var from = From.AddMinutes(2);
        var to = From.AddMinutes(13);   // buckets 00:00, 00:05, 00:10
        Assert.Equal(3, FiveMinutes.Starts(from, to).Count);
        Assert.Equal([From, From.AddMinutes(5), From.AddMinutes(10)], GapFill.Apply([], FiveMinutes.Starts(from, to), FillMode.Null).Select(v => v.From));
        Assert.Single(FiveMinutes.Starts(From, From.AddMinutes(5)));
        Assert.Equal(2, FiveMinutes.Starts(From.AddMinutes(-1), From.AddMinutes(1)).Count);   // across the epoch-aligned boundary
    }

    [Fact]
    public void Buckets_with_readings_but_no_mean_selected_are_kept_and_not_carried()
    {
        AggregatedValue[] counted = [new(From.AddMinutes(10), null, Count: 3)];
        var filled = GapFill.Apply(counted, FiveMinutes.Starts(From, To), FillMode.Previous, previous: 7);
        Assert.Equal(12, filled.Count);
        Assert.Equal(3, filled[2].Count);
        Assert.Equal([7, 7, null, 7], filled.Take(4).Select(v => v.Value));
    }
}
