using IotAspire.Api.Errors;
using IotAspire.Api.Ingestion;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.Readings;

public sealed class IngestReadingsCheckTests
{
    private static readonly Guid Own = Guid.NewGuid();
    private static readonly Guid Other = Guid.NewGuid();
    private static readonly Guid Device = Guid.NewGuid();
    private static readonly DateTimeOffset At = new(2022, 1, 21, 10, 56, 18, TimeSpan.Zero);
    private static readonly Caller Customer = new("customer1", "customer", Own);
    private static readonly Caller Admin = new("admin", "admin", null);

    private static SentReading Reading(double value = 0.5, Guid? customerId = null) => new(At, value, Device, customerId);

    private static ApiErrorException Refused(Caller caller, params SentReading[] readings) =>
        Assert.Throws<ApiErrorException>(() => IngestReadings.Check(caller, readings, maxBatchSize: 10));

    [Fact]
    public void A_device_token_sends_only_its_own_device_readings_for_its_own_customer()
    {
        var device = new Caller($"device {Device}", "device", Own, Device);

        var stored = IngestReadings.Check(device, [Reading(), Reading(customerId: Own)], maxBatchSize: 10);
        var otherDevice = Assert.Throws<ApiErrorException>(() => IngestReadings.Check(device, [Reading(), new SentReading(At, 1, Other, null)], maxBatchSize: 10));
        var otherCustomer = Refused(device, Reading(customerId: Other));

        Assert.All(stored, reading => Assert.Equal((Own, Device), (reading.CustomerId, reading.DeviceId)));
        Assert.Equal((ApiErrors.Forbidden, $"readings[1] is for device {Other}, but this device token may only send readings of device {Device}; nothing was written."),
            (otherDevice.Code, otherDevice.Message));
        Assert.Equal(ApiErrors.Forbidden, otherCustomer.Code);
    }

    [Fact]
    public void A_customers_readings_are_stored_for_its_own_customer_named_or_not()
    {
        var stored = IngestReadings.Check(Customer, [Reading(), Reading(customerId: Own)], maxBatchSize: 10);

        Assert.All(stored, reading => Assert.Equal(Own, reading.CustomerId));
        Assert.Equal(new ReadingToStore(Own, Device, At, 0.5), stored[0]);
    }

    [Fact]
    public void A_customer_writing_for_another_customer_is_forbidden_and_the_reading_is_named()
    {
        var refused = Refused(Customer, Reading(), Reading(customerId: Other));

        Assert.Equal(ApiErrors.Forbidden, refused.Code);
        Assert.Contains("readings[1]", refused.Message);
    }

    [Fact]
    public void An_administrator_must_name_the_customer_of_every_reading()
    {
        var refused = Refused(Admin, Reading(customerId: Other), Reading());

        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.Contains("readings[1].customerId", refused.Message);
        Assert.Equal(Other, IngestReadings.Check(Admin, [Reading(customerId: Other)], maxBatchSize: 10)[0].CustomerId);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(1.000001e100)]
    [InlineData(-1e300)]
    [InlineData(double.MaxValue)]
    public void A_reading_must_be_a_finite_number(double value)
    {
        var refused = Refused(Customer, Reading(), Reading(value));

        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.Contains("readings[1].reading must be a finite number between -1e100 and 1e100", refused.Message);
    }

    [Theory]
    [InlineData(1e100)]
    [InlineData(-1e100)]
    [InlineData(double.Epsilon)]
    [InlineData(-0.0)]
    public void Readings_up_to_1e100_either_way_are_accepted(double value) =>
        Assert.Equal(value, IngestReadings.Check(Customer, [Reading(value)], maxBatchSize: 10)[0].Value);

    [Fact]
    public void A_batch_over_the_limit_is_refused_with_the_limit_and_its_size()
    {
        var refused = Refused(Customer, Enumerable.Repeat(Reading(), 11).ToArray());

        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.Contains("at most 10 readings; this one holds 11", refused.Message);
        Assert.Equal(10, IngestReadings.Check(Customer, Enumerable.Repeat(Reading(), 10).ToArray(), maxBatchSize: 10).Count);
    }
}
