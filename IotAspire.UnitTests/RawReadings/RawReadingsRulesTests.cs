using IotAspire.Api.Errors;
using IotAspire.Api.RawReadings;
using IotAspire.Api.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.RawReadings;

public sealed class RawReadingsRulesTests
{
    private static readonly Guid Own = Guid.Parse("11111111-1111-1111-1111-111111111111");
    private static readonly Caller Customer = new("customer", "customer", Own);
    private static readonly Caller Admin = new("admin", "admin", null);

    [Fact]
    public void A_cursor_reads_back_to_the_same_time_and_series_and_says_nothing_in_clear()
    {
        var cursor = new ReadingCursor(DateTimeOffset.Parse("2026-12-04T10:00:00.123456Z"), Guid.NewGuid());
        var text = cursor.Encode();
        Assert.Equal(cursor, ReadingCursor.Decode(text));
        Assert.DoesNotContain("2026", text);
        Assert.DoesNotContain(cursor.SeriesId.ToString()[..8], text);
        Assert.Matches("^[A-Za-z0-9_-]+$", text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor")]
    [InlineData("AAAA")]
    [InlineData("AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]                 // version 2
    [InlineData("Af__________________________________")]               // a forged time (negative)
    [InlineData("AX__________wAAAAAAAAAAAAAAAAAAAAAA")]               // a forged time (past 2100)
    public void Anything_but_a_cursor_the_API_handed_out_is_refused_naming_after(string text)
    {
        var refused = Assert.Throws<ApiErrorException>(() => ReadingCursor.Decode(text));
        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.StartsWith("after (", refused.Message);
    }

    [Theory]
    [InlineData(null, 100)]
    [InlineData(1, 1)]
    [InlineData(1000, 1000)]
    public void Page_sizes_default_to_100_and_go_up_to_1000(int? first, int expected) =>
        Assert.Equal(expected, RawReadingsRequest.CheckPageSize(first));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void Other_page_sizes_are_refused_naming_first(int first) =>
        Assert.StartsWith("first must be between 1 and 1000", Assert.Throws<ApiErrorException>(() => RawReadingsRequest.CheckPageSize(first)).Message);

    [Fact]
    public void A_customer_reads_its_own_readings_and_an_administrator_names_the_customer()
    {
        Assert.Equal(Own, RawReadingsRequest.Check(Customer, null, null, null, null).CustomerId);
        Assert.Equal(Own, RawReadingsRequest.Check(Admin, null, null, null, Own).CustomerId);
        Assert.Equal(ApiErrors.Forbidden, Assert.Throws<ApiErrorException>(() => RawReadingsRequest.Check(Customer, null, null, null, Guid.NewGuid())).Code);
        Assert.Contains("Name the customerId", Assert.Throws<ApiErrorException>(() => RawReadingsRequest.Check(Admin, null, null, null, null)).Message);
        Assert.Equal(ApiErrors.Forbidden, Assert.Throws<ApiErrorException>(() => RawReadingsRequest.Check(new Caller("d", "device", Own, Guid.NewGuid()), null, null, null, null)).Code);
    }

    [Fact]
    public void Ranges_and_device_lists_are_checked_like_the_aggregates()
    {
        var at = DateTimeOffset.Parse("2026-12-04T10:00:00Z");
        Assert.StartsWith("from (", Assert.Throws<ApiErrorException>(() => RawReadingsRequest.Check(Customer, null, at, at, null)).Message);
        Assert.StartsWith("to (", Assert.Throws<ApiErrorException>(() => RawReadingsRequest.Check(Customer, null, null, at.AddTicks(1), null)).Message);
        var tooMany = Enumerable.Range(0, AggregateRequest.MaxDeviceIds + 1).Select(_ => Guid.NewGuid()).ToArray();
        Assert.StartsWith("deviceIds may name at most", Assert.Throws<ApiErrorException>(() => RawReadingsRequest.Check(Customer, tooMany, null, null, null)).Message);
        var device = Guid.NewGuid();
        Assert.Equal([device], RawReadingsRequest.Check(Customer, [device, device], null, null, null).DeviceIds);
    }

    private static QueryCollection Query(params (string Key, string Value)[] pairs) =>
        new(pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => new StringValues([.. g.Select(p => p.Value)])));

    [Fact]
    public void Export_parameters_read_device_lists_either_way_and_percentile_columns_by_name()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.Equal([a, b], ExportQuery.Parse(Query(("deviceIds", $"{a},{b}"))).DeviceIds);
        Assert.Equal([a, b], ExportQuery.Parse(Query(("deviceIds", $"{a}"), ("deviceIds", $"{b}"))).DeviceIds);
        var aggregates = ExportQuery.Parse(Query(("aggregationSizeMinutes", "60"), ("functions", "mean,count,p95,p99.9"), ("fill", "linear")));
        Assert.Equal(["mean", "count", "p95", "p99.9"], aggregates.Functions);
        Assert.Equal([0.95, 0.999], aggregates.BucketFunctions.PercentileFractions);
        Assert.Equal(FillMode.Linear, aggregates.Fill);
        Assert.Equal(0.999, ExportQuery.PercentileFraction("p99.9"));
        Assert.Equal(["mean"], ExportQuery.Parse(Query(("aggregationSizeMinutes", "5"))).Functions);
    }

    [Theory]
    [InlineData("device_ids", "x", "Unknown parameter 'device_ids'")]
    [InlineData("deviceIds", "nope", "deviceIds: 'nope' is not a UUID")]
    [InlineData("from", "yesterday", "from must be an ISO 8601")]
    [InlineData("format", "xlsx", "format must be 'csv' or 'parquet'")]
    [InlineData("functions", "mean", "functions applies to aggregates")]
    [InlineData("aggregationSizeMinutes", "-5", "aggregationSizeMinutes must be a whole number")]
    public void Bad_export_parameters_are_refused_by_name(string key, string value, string expected) =>
        Assert.StartsWith(expected, Assert.Throws<ApiErrorException>(() => ExportQuery.Parse(Query((key, value)))).Message);

    [Theory]
    [InlineData("median")]
    [InlineData("p")]
    [InlineData("p101")]
    [InlineData("p-5")]
    public void Unknown_bucket_functions_are_refused_naming_the_function(string function) =>
        Assert.Contains($"'{function}'", Assert.Throws<ApiErrorException>(() => ExportQuery.Parse(Query(("aggregationSizeMinutes", "5"), ("functions", function)))).Message);

    [Theory]
    [InlineData("mean,mean", "functions: 'mean' is named twice")]
    [InlineData("p95,count,p95.0", "functions: 'p95.0' is named twice")]   // one percentile, two spellings
    public void A_function_named_twice_is_refused(string functions, string expected) =>
        Assert.StartsWith(expected, Assert.Throws<ApiErrorException>(() => ExportQuery.Parse(Query(("aggregationSizeMinutes", "5"), ("functions", functions)))).Message);

    [Fact]
    public void The_1700_means_of_the_attack_are_refused_and_every_function_once_is_counted_by_its_columns()
    {
        Assert.Throws<ApiErrorException>(() => ExportQuery.Parse(Query(("aggregationSizeMinutes", "5"), ("functions", string.Join(",", Enumerable.Repeat("mean", 1_700))))));

        var every = ExportQuery.Parse(Query(("aggregationSizeMinutes", "5"), ("functions", "mean,min,max,sum,count,stddev,first,last,p10,p20,p30,p40,p50,p60,p70,p80,p90,p99")));
        Assert.Equal(18, every.BucketFunctions.ValuesPerBucket);
        Assert.Equal(18, Api.HeavyReads.ReadCost.Functions(every.BucketFunctions));
    }
}
