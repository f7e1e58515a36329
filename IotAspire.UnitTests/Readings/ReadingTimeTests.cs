using IotAspire.Api.Errors;
using IotAspire.Api.Readings;

namespace IotAspire.UnitTests.Readings;

public sealed class ReadingTimeTests
{
    [Theory]
    [InlineData("1970-01-01T00:00:00Z")]
    [InlineData("2022-01-21T10:56:18.950901Z")]
    [InlineData("2100-01-01T00:00:00Z")]
    public void Times_in_range_to_the_microsecond_are_accepted(string time)
    {
        ReadingTime.Check(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture), "timestamp");
    }

    [Theory]
    [InlineData("1969-12-31T23:59:59Z")]
    [InlineData("2100-01-01T00:00:00.000001Z")]
    [InlineData("9999-12-31T23:59:59.999999Z")]
    [InlineData("0001-01-02T00:00:00Z")]
    public void Times_outside_the_range_name_the_field_and_the_range(string time)
    {
        var refused = Assert.Throws<ApiErrorException>(() =>
            ReadingTime.Check(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture), "readings[2].timestamp"));

        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.Contains("readings[2].timestamp", refused.Message);
        Assert.Contains("1970-01-01 to 2100-01-01", refused.Message);
    }

    [Fact]
    public void A_time_finer_than_a_microsecond_is_refused_not_silently_merged()
    {
        var refused = Assert.Throws<ApiErrorException>(() =>
            ReadingTime.Check(DateTimeOffset.Parse("2022-01-21T10:56:18.9509011Z", System.Globalization.CultureInfo.InvariantCulture), "from"));

        Assert.Contains("at most 6 fractional digits", refused.Message);
    }
}
