using IotAspire.Api.Errors;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.Readings;

/// <summary>Which functions a selection asks of PostgreSQL, and which need the readings (a pure rule).</summary>
public sealed class BucketFunctionsRulesTests
{
    [Fact]
    public void Field_names_map_to_functions_and_value_is_the_mean()
    {
        var functions = BucketFunctions.Of(["from", "value", "count", "__typename"], []);
        Assert.Equal(BucketFunction.Mean | BucketFunction.Count, functions.Selected);
        Assert.False(functions.NeedsReadings);
    }

    [Theory]
    [InlineData("stddev")]
    [InlineData("first")]
    [InlineData("last")]
    public void Functions_the_rollups_do_not_keep_need_the_readings(string field) =>
        Assert.True(BucketFunctions.Of(["mean", field], []).NeedsReadings);

    [Fact]
    public void Percentiles_are_sorted_each_once_and_minus_zero_is_zero()
    {
        var functions = BucketFunctions.Of(["percentile", "percentile", "percentile", "percentile"], [0.9, -0.0, 0.5, 0.9]);
        Assert.Equal([0.0, 0.5, 0.9], functions.PercentileFractions);
        Assert.True(functions.NeedsReadings);
    }

    [Theory]
    [InlineData(1.0000001)]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_fraction_outside_0_to_1_is_refused_with_an_example(double p)
    {
        var refused = Assert.Throws<ApiErrorException>(() => BucketFunctions.Of(["percentile"], [p]));
        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.Contains("p must be between 0 and 1, e.g. 0.95", refused.Message);
    }

    [Fact]
    public void More_than_ten_different_percentiles_are_refused_and_ten_are_not()
    {
        Assert.Equal(10, BucketFunctions.Of(["percentile"], Enumerable.Range(0, 10).Select(i => i / 10.0)).PercentileFractions.Count);
        var refused = Assert.Throws<ApiErrorException>(() => BucketFunctions.Of(["percentile"], Enumerable.Range(0, 11).Select(i => i / 10.0)));
        Assert.Contains("at most 10 different percentiles, not 11", refused.Message);
    }
}
