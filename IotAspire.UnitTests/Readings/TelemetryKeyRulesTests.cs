using IotAspire.Api.Errors;
using IotAspire.Api.Ingestion;
using IotAspire.Api.Readings;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Security;

namespace IotAspire.UnitTests.Readings;

/// <summary>The pure rules of keys, tags, series ids and messages.</summary>
public sealed class TelemetryKeyRulesTests
{
    private static readonly Guid Own = Guid.NewGuid();
    private static readonly Guid Device = Guid.Parse("71bf19cb-e7e7-4334-af31-5ebba56a655d");
    private static readonly DateTimeOffset At = new(2025, 6, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly Caller Customer = new("customer1", "customer", Own);

    [Theory]
    [InlineData("temperature", true)]
    [InlineData("power.l1", true)]
    [InlineData("a-b_c.9", true)]
    [InlineData("", false)]
    [InlineData("temp erature", false)]
    [InlineData("x/y", false)]
    [InlineData("température", false)]
    [InlineData("a\nb", false)]
    public void A_key_is_1_to_64_ascii_letters_digits_and_three_marks(string key, bool valid)
    {
        Assert.Equal(valid, TelemetryKey.IsValid(key));
        Assert.True(TelemetryKey.IsValid(new string('k', 64)));
        Assert.False(TelemetryKey.IsValid(new string('k', 65)));
    }

    [Fact]
    public void A_series_id_is_the_device_for_key_reading_and_otherwise_a_stable_name_based_uuid()
    {
        Assert.Equal(Device, SeriesIds.Of(Device, "reading"));
        var temperature = SeriesIds.Of(Device, "temperature");
        Assert.Equal(temperature, SeriesIds.Of(Device, "temperature"));
        Assert.NotEqual(temperature, SeriesIds.Of(Device, "humidity"));
        Assert.NotEqual(temperature, SeriesIds.Of(Guid.NewGuid(), "temperature"));
        Assert.Equal(8, temperature.Version);
        Assert.Equal(0x80, temperature.ToByteArray(bigEndian: true)[8] & 0xC0);   // the RFC variant
        // Pinned: ids are stored, so the way they are made never changes. Computed independently (Python's hashlib and
        // uuid: SHA-256 over the namespace's, the device's bytes and the key, first 16 bytes, version 8, RFC variant).
        Assert.Equal(Guid.Parse("aff20ecb-bbe6-84d7-8b12-af2d06290646"), temperature);
    }

    [Fact]
    public void Messages_become_values_counted_against_the_batch_limit()
    {
        var messages = new[]
        {
            new SentMessage(Device, At, [new("temperature", 21.5), new("humidity", 40)]),
            new SentMessage(Device, At.AddMinutes(1), [new("temperature", 22)]),
        };

        var values = IngestReadings.CheckMessages(Customer, messages, maxBatchSize: 3);

        Assert.Equal([("temperature", 21.5), ("humidity", 40.0), ("temperature", 22.0)], values.Select(v => (v.Key, v.Value)));
        Assert.All(values, v => Assert.Equal(Own, v.CustomerId));
        var tooMany = Assert.Throws<ApiErrorException>(() => IngestReadings.CheckMessages(Customer, messages, maxBatchSize: 2));
        Assert.Equal("A batch may hold at most 2 values; these 2 messages hold 3. Send them in smaller batches.", tooMany.Message);
    }

    [Fact]
    public void A_message_names_each_key_once_and_its_values_are_finite()
    {
        var twice = Assert.Throws<ApiErrorException>(() => IngestReadings.CheckMessages(Customer,
            [new SentMessage(Device, At, [new("a", 1), new("a", 2)])], 10));
        var infinite = Assert.Throws<ApiErrorException>(() => IngestReadings.CheckMessages(Customer,
            [new SentMessage(Device, At, [new("a", double.PositiveInfinity)])], 10));

        Assert.Equal("messages[0].values names key a twice; a message has one value per key.", twice.Message);
        Assert.StartsWith("messages[0].values[0].value must be a finite number", infinite.Message, StringComparison.Ordinal);
        Assert.Equal(ApiErrors.BadUserInput, infinite.Code);
    }

    [Fact]
    public void A_reading_without_a_key_is_stored_under_reading_and_a_bad_key_is_named()
    {
        var stored = IngestReadings.Check(Customer, [new SentReading(At, 1, Device, null), new SentReading(At, 2, Device, null, "temperature")], 10);
        var refused = Assert.Throws<ApiErrorException>(() => IngestReadings.Check(Customer, [new SentReading(At, 1, Device, null, "no key")], 10));

        Assert.Equal(["reading", "temperature"], stored.Select(r => r.Key));
        Assert.Equal(Device, stored[0].SeriesId);
        Assert.StartsWith("readings[0].key must be 1 to 64 letters", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tags_are_bounded_named_like_keys_valued_by_text_and_each_named_once()
    {
        DeviceTags.Check([("site", "Berlin Mitte"), ("floor", "3")], "tags");

        Assert.Contains("at most 16 tags", Refused([.. Enumerable.Range(0, 17).Select(i => ($"t{i}", "x"))]));
        Assert.Contains("tags[0].name must be", Refused([("si te", "x")]));
        Assert.Contains("tags[0].value must be 1 to 128 characters", Refused([("site", "")]));
        Assert.Contains("tags[0].value must be 1 to 128 characters", Refused([("site", "a\tb")]));
        Assert.Contains("names tag site twice", Refused([("site", "a"), ("site", "b")]));

        static string Refused((string, string)[] tags) => Assert.Throws<ApiErrorException>(() => DeviceTags.Check(tags, "tags")).Message;
    }

    [Fact]
    public void A_tag_filter_is_the_jsonb_object_a_device_must_contain()
    {
        Assert.Equal("{}", new DeviceFilter().TagsJson);
        Assert.Equal("""{"site":"berlin","floor":"3"}""", new DeviceFilter(Tags: [new("site", "berlin"), new("floor", "3")]).TagsJson);
        Assert.Equal([new Tag("floor", "3"), new Tag("site", "berlin")], DevicesReader.TagsOf("""{"site":"berlin","floor":"3"}"""));
    }

    [Fact]
    public void A_customers_request_naming_devices_and_keys_makes_its_series_without_the_catalog()
    {
        var other = Guid.Parse("00000000-0000-4000-8000-000000000002");
        var request = new AggregateRequest(Own, [Device, other, Device], At, At.AddDays(1), 5) { Keys = ["temperature", "battery", "temperature"] };

        var series = DeviceAggregatesReader.NamedSeries(request);

        Assert.Equal(
            [(other, "battery"), (other, "temperature"), (Device, "battery"), (Device, "temperature")],
            series!.Select(s => (s.DeviceId, s.Key)));
        Assert.All(series!, s => Assert.Equal((Own, SeriesIds.Of(s.DeviceId, s.Key)), (s.CustomerId, s.Id)));

        // The catalog answers what ids alone cannot: every key, tags, every customer's devices, past the series limit.
        Assert.Null(DeviceAggregatesReader.NamedSeries(request with { Keys = null }));
        Assert.Null(DeviceAggregatesReader.NamedSeries(request with { Tags = [new("site", "berlin")] }));
        Assert.Null(DeviceAggregatesReader.NamedSeries(request with { CustomerId = null }));
        var many = Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()).ToArray();
        var keys = Enumerable.Range(0, 100).Select(k => $"k{k}").ToArray();
        Assert.Null(DeviceAggregatesReader.NamedSeries(request with { DeviceIds = many, Keys = keys }));
        Assert.Equal(AggregateRequest.MaxSeries, DeviceAggregatesReader.NamedSeries(request with { DeviceIds = many[..100], Keys = keys })!.Count);
    }
}
