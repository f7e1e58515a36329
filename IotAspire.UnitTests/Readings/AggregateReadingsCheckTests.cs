using IotAspire.Api.Aggregation;
using IotAspire.Api.Errors;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.Readings;

public sealed class AggregateReadingsCheckTests
{
    private static readonly Guid Own = Guid.NewGuid();
    private static readonly Caller Customer = new("customer1", "customer", Own);
    private static readonly DateTimeOffset Now = new(2022, 1, 21, 12, 0, 0, TimeSpan.Zero);

    private static AggregateRequest Check(DateTimeOffset? from = null, DateTimeOffset? to = null, int? size = null) =>
        AggregateReadings.Check(Customer, from, to, size, deviceIds: null, customerId: null, Now);

    private static string Refusal(DateTimeOffset? from = null, DateTimeOffset? to = null, int? size = null)
    {
        var refused = Assert.Throws<ApiErrorException>(() => Check(from, to, size));
        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        return refused.Message;
    }

    [Fact]
    public void Defaults_are_the_last_30_days_to_now_in_5_minute_buckets_of_the_callers_customer()
    {
        var request = Check();

        Assert.Equal(new AggregateRequest(Own, null, Now.AddDays(-30), Now, 5), request);
    }

    [Fact]
    public void A_null_size_takes_the_default()
    {
        Assert.Equal(AggregateReadings.DefaultAggregationSizeMinutes, Check(size: null).AggregationSizeMinutes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(527_041)]
    public void A_size_out_of_range_names_the_argument_and_the_range(int size)
    {
        var message = Refusal(from: Now.AddHours(-1), to: Now, size: size);

        Assert.Contains("aggregationSizeMinutes", message);
        Assert.Contains("between 1 and 527040", message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void From_must_be_before_to(int minutes)
    {
        Assert.Contains("must be earlier than", Refusal(from: Now.AddMinutes(-minutes), to: Now));
    }

    [Fact]
    public void Too_many_buckets_suggests_the_smallest_size_that_fits()
    {
        // One year of 1-minute buckets is 525 600 buckets; 6 minutes gives 87 600, under the limit of 100 000.
        var message = Refusal(from: Now.AddDays(-365), to: Now, size: 1);

        Assert.Contains("Use aggregationSizeMinutes of at least 6", message);
        Check(from: Now.AddDays(-365), to: Now, size: 6);
    }

    [Fact]
    public void Exactly_the_bucket_limit_is_allowed()
    {
        var request = Check(from: Now.AddMinutes(-AggregateReadings.MaxBucketsPerDevice), to: Now, size: 1);

        Assert.Equal(1, request.AggregationSizeMinutes);
    }
}
