using System.Text.Json;
using IotAspire.Api.Errors;
using IotAspire.Api.OriginalRest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace IotAspire.UnitTests.Readings;

/// <summary>The original REST API's parameters and bodies, read as the original read them, refused by name.</summary>
public sealed class OriginalRestRulesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-28T11:45:28.1234567Z");

    private static OriginalQuery Query(params (string Key, string Value)[] parameters) =>
        OriginalQuery.Parse(new QueryCollection(parameters.ToDictionary(p => p.Key, p => new StringValues(p.Value))), Now);

    [Fact]
    public void The_defaults_are_five_minutes_over_the_30_days_to_now_in_whole_microseconds()
    {
        var query = Query();
        Assert.Equal(5, query.AggregationSize);
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T11:45:28.123456Z"), query.End);
        Assert.Equal(query.End.AddDays(-30), query.Start);
        Assert.Equal(query.End.AddTicks(10), query.ExclusiveEnd);   // the end is inclusive
    }

    [Fact]
    public void A_time_without_an_offset_is_utc_and_one_with_an_offset_keeps_it()
    {
        var query = Query(("start", "2022-01-21T10:00:00"), ("end", "2022-01-21T12:00:00+01:00"), ("aggregation_size", "10"),
            ("device_id", "71bf19cb-e7e7-4334-af31-5ebba56a655d"));
        Assert.Equal(DateTimeOffset.Parse("2022-01-21T10:00:00Z"), query.Start);
        Assert.Equal(DateTimeOffset.Parse("2022-01-21T11:00:00Z"), query.End);
        Assert.Equal(10, query.AggregationSize);
        Assert.Equal(Guid.Parse("71bf19cb-e7e7-4334-af31-5ebba56a655d"), query.DeviceId);
    }

    [Theory]
    [InlineData("start", "yesterday", "start")]
    [InlineData("end", "2022-01-21T10:00:00.1234567", "end")]
    [InlineData("end", "2100-01-02", "end")]
    [InlineData("aggregation_size", "0", "aggregation_size")]
    [InlineData("aggregation_size", "-5", "aggregation_size")]
    [InlineData("aggregation_size", "5.5", "aggregation_size")]
    [InlineData("customer_id", "b0c2bda5", "customer_id")]
    public void A_bad_parameter_is_refused_by_its_name(string key, string value, string named)
    {
        var refused = Assert.Throws<ApiErrorException>(() => Query((key, value)));
        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.StartsWith(named, refused.Message);
    }

    [Fact]
    public void The_original_body_reads_as_sent_readings()
    {
        using var body = JsonDocument.Parse("""
            [{"timestamp": "2022-01-21T10:56:18.950901", "reading": 0.63, "device_id": "71bf19cb-e7e7-4334-af31-5ebba56a655d", "customer_id": "b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df"},
             {"timestamp": "2022-01-21T10:57:18Z", "reading": "0.9", "device_id": "71bf19cb-e7e7-4334-af31-5ebba56a655d"}]
            """);
        var readings = OriginalReadings.Parse(body.RootElement);
        Assert.Equal(2, readings.Count);
        Assert.Equal(DateTimeOffset.Parse("2022-01-21T10:56:18.950901Z"), readings[0].Timestamp);
        Assert.Equal(Guid.Parse("b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df"), readings[0].CustomerId);
        Assert.Equal((0.9, (Guid?)null), (readings[1].Reading, readings[1].CustomerId));
        Assert.Equal("2022-01-21T10:56:18.950901+00:00", OriginalReadings.Text(readings[0].Timestamp));
    }

    [Theory]
    [InlineData("{}", "Send a JSON array")]
    [InlineData("[null]", "[0] must be an object")]
    [InlineData("""[{"reading": 1, "device_id": "71bf19cb-e7e7-4334-af31-5ebba56a655d"}]""", "[0].timestamp is missing")]
    [InlineData("""[{"timestamp": "2022-01-21T10:56:18", "reading": true, "device_id": "71bf19cb-e7e7-4334-af31-5ebba56a655d"}]""", "[0].reading must be a number")]
    [InlineData("""[{"timestamp": "2022-01-21T10:56:18", "reading": 1, "device_id": "not-a-uuid"}]""", "[0].device_id must be a UUID")]
    [InlineData("""[{"timestamp": 5, "reading": 1, "device_id": "71bf19cb-e7e7-4334-af31-5ebba56a655d"}]""", "[0].timestamp must be an ISO 8601")]
    public void A_bad_body_is_refused_at_its_place(string json, string message)
    {
        using var body = JsonDocument.Parse(json);
        var refused = Assert.Throws<ApiErrorException>(() => OriginalReadings.Parse(body.RootElement));
        Assert.Contains(message, refused.Message);
    }
}
