using System.Text;
using IotAspire.Api.DeviceProtocols;
using IotAspire.Api.Errors;
using IotAspire.Api.Ingestion;

namespace IotAspire.UnitTests.Transport;

/// <summary>ThingsBoard's telemetry payloads (MQTT and the HTTP device API) read into one device's messages, and each refusal's words.</summary>
public sealed class TelemetryPayloadTests
{
    private static readonly Guid Device = Guid.Parse("71bf19cb-e7e7-4334-af31-5ebba56a655d");
    private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 12, 8, 10, 0, 0, TimeSpan.Zero).AddTicks(1234567);

    private static IReadOnlyList<SentMessage> Parse(string payload) => TelemetryPayload.Parse(Encoding.UTF8.GetBytes(payload), Device, Now);

    private static string Refusal(string payload) => Assert.Throws<ApiErrorException>(() => Parse(payload)).Message;

    [Fact]
    public void Plain_values_are_at_the_servers_time_to_the_microsecond_and_booleans_are_one_and_zero()
    {
        var message = Assert.Single(Parse("""{"temperature": 21.5, "door": true, "alarm": false, "count": 3}"""));
        Assert.Equal(Device, message.DeviceId);
        Assert.Equal(Now.AddTicks(-7), message.Timestamp);
        Assert.Equal([new("temperature", 21.5), new("door", 1), new("alarm", 0), new("count", 3)], message.Values);
        Assert.Null(message.CustomerId);
    }

    [Fact]
    public void Timed_values_and_arrays_of_either_keep_their_order_and_times()
    {
        var messages = Parse("""[{"ts": 1775001600000, "values": {"power.l1": -0.1}}, {"voltage": 230}, {"values": {"x": 1}, "ts": 1775001600123}]""");
        Assert.Equal(3, messages.Count);
        Assert.Equal((DateTimeOffset.FromUnixTimeMilliseconds(1775001600000), "power.l1", -0.1), (messages[0].Timestamp, messages[0].Values[0].Key, messages[0].Values[0].Value));
        Assert.Equal(Now.AddTicks(-7), messages[1].Timestamp);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1775001600123), messages[2].Timestamp);
    }

    [Fact]
    public void Numbers_are_kept_exactly_as_sent()
    {
        Assert.Equal(-509.58980585028036, Parse("""{"v": -509.58980585028036}""")[0].Values[0].Value);
        Assert.Equal(95671564826799570d, Parse("""{"v": 95671564826799570}""")[0].Values[0].Value);
    }

    [Fact]
    public void The_original_apis_array_of_readings_is_stored_under_the_key_reading_with_its_device_and_customer()
    {
        var customer = Guid.NewGuid();
        var message = Assert.Single(Parse($$"""[{"timestamp": "2022-01-21T10:56:18.950901", "reading": 1.25, "device_id": "{{Device}}", "customer_id": "{{customer}}"}]"""));
        Assert.Equal((Device, customer, "reading", 1.25), (message.DeviceId, message.CustomerId, message.Values[0].Key, message.Values[0].Value));
        Assert.Equal(new DateTimeOffset(2022, 1, 21, 10, 56, 18, 950, TimeSpan.Zero).AddTicks(9010), message.Timestamp);
    }

    [Theory]
    [InlineData("""{"temperature": "21.5"}""", "payload.temperature is text (\"21.5\"); values are numbers")]
    [InlineData("""{"temperature": "21.5"}""", "Text belongs in the device's tags")]
    [InlineData("""{"t": null}""", "payload.t is null")]
    [InlineData("""{"t": [1]}""", "payload.t is an array")]
    [InlineData("""{"t": 1e101}""", "payload.t (1e101) must be a finite number between -1e100 and 1e100")]
    [InlineData("""{"bad key": 1}""", "A key of payload must be 1 to 64 letters")]
    [InlineData("""{"t": 1, "t": 2}""", "payload names key t twice")]
    [InlineData("""{}""", "payload holds no values")]
    [InlineData("""[]""", "empty array")]
    [InlineData("""[{"t": 1}, "x"]""", "[1] must be an object")]
    [InlineData("""5""", "payload must be an object")]
    [InlineData("""{"ts": 1775001600000}""", "payload.values must be an object")]
    [InlineData("""{"ts": 1775001600000, "values": [1]}""", "payload.values must be an object")]
    [InlineData("""{"ts": 1775001600000.5, "values": {"t": 1}}""", "payload.ts must be a Unix time in whole milliseconds")]
    [InlineData("""{"values": {"t": 1}}""", "payload.ts must be a Unix time in whole milliseconds, such as 1775001600000, not nothing")]
    [InlineData("""{"ts": -1, "values": {"t": 1}}""", "payload.ts (-1) is outside the accepted range")]
    [InlineData("""{"ts": 1775001600000, "values": {"t": 1}, "deviceId": "x"}""", "payload has \"deviceId\" beside ts and values")]
    [InlineData("""{"t": 1""", "The payload is not valid JSON")]
    [InlineData("""[{"timestamp": "yesterday", "reading": 1, "device_id": "71bf19cb-e7e7-4334-af31-5ebba56a655d"}]""", "[0].timestamp must be an ISO 8601 date and time")]
    public void A_bad_payload_is_refused_naming_the_place_and_what_to_send(string payload, string says) =>
        Assert.Contains(says, Refusal(payload));

    [Fact]
    public void A_payload_holds_at_most_ten_thousand_values()
    {
        var values = string.Join(", ", Enumerable.Range(0, TelemetryPayload.MaxValues).Select(i => $"\"k{i}\": {i}"));
        Assert.Equal(TelemetryPayload.MaxValues, Parse("{" + values + "}")[0].Values.Count);
        var many = "[" + string.Join(", ", Enumerable.Range(0, 2).Select(_ => "{" + values + "}")) + "]";
        Assert.Contains($"at most {TelemetryPayload.MaxValues} values; this one carries {2 * TelemetryPayload.MaxValues}", Refusal(many));
    }

    [Fact]
    public void Deep_nesting_is_refused_as_bad_json_not_a_crash() =>
        Assert.Contains("not valid JSON", Refusal(new string('[', 100) + new string(']', 100)));
}
