using IotAspire.Api.Ingestion;
using IotAspire.Api.Schema;

namespace IotAspire.UnitTests.Transport;

/// <summary>
/// <c>ReadingInput</c>, <c>MessageInput</c> and <c>KeyValueInput</c> are built from the fields GraphQL.NET has parsed (not
/// by its reflection, and with no per-field parser: the profiled cost, bench/results/2026-12-07-telemetry-keys.md, "Fifth
/// pass"): every field reaches the record, <c>customerId</c> and <c>key</c> whether given or not, and <c>values</c> in
/// whichever list shape the variables arrive (an array of parsed values, another list, or a single value coerced to a list).
/// </summary>
public sealed class MessageInputParsingTests
{
    private static readonly Guid Device = Guid.Parse("71bf19cb-2f4e-4a8e-9d4b-3c6a1d2e5f70");
    private static readonly Guid Customer = Guid.Parse("b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df");
    private static readonly DateTimeOffset At = new(2025, 6, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_key_value_takes_its_key_and_its_number()
    {
        var value = new KeyValueInputGraphType().ParseDictionary(new Dictionary<string, object?> { ["key"] = "temperature", ["value"] = 21.5 });

        Assert.Equal(new SentValue("temperature", 21.5), value);
    }

    [Fact]
    public void A_message_takes_every_field_with_or_without_a_customer()
    {
        var values = new object?[] { new SentValue("temperature", 21.5), new SentValue("humidity", 40) };
        var type = new MessageInputGraphType();

        var own = Assert.IsType<SentMessage>(type.ParseDictionary(new Dictionary<string, object?> { ["deviceId"] = Device, ["timestamp"] = At, ["values"] = values }));
        var named = Assert.IsType<SentMessage>(type.ParseDictionary(new Dictionary<string, object?>
        {
            ["deviceId"] = Device, ["timestamp"] = At, ["values"] = values, ["customerId"] = Customer,
        }));

        Assert.Equal((Device, At, (Guid?)null), (own.DeviceId, own.Timestamp, own.CustomerId));
        Assert.Equal(Customer, named.CustomerId);
        Assert.Equal([new SentValue("temperature", 21.5), new SentValue("humidity", 40)], own.Values);
    }

    [Fact]
    public void Values_arrive_as_an_array_a_list_or_one_value()
    {
        var one = new SentValue("battery", 3.7);
        var type = new MessageInputGraphType();
        SentMessage Parse(object? values) => (SentMessage)type.ParseDictionary(new Dictionary<string, object?> { ["deviceId"] = Device, ["timestamp"] = At, ["values"] = values });

        Assert.Equal([one], Parse(new object?[] { one }).Values);
        Assert.Equal([one], Parse(new List<object?> { one }).Values);
        Assert.Equal([one], Parse(one).Values);
        Assert.Empty(Parse(Array.Empty<object?>()).Values);   // refused later, naming messages[i].values
    }

    [Fact]
    public void A_reading_takes_every_field_with_or_without_a_customer_and_a_key()
    {
        var type = new ReadingInputGraphType();

        var bare = Assert.IsType<SentReading>(type.ParseDictionary(new Dictionary<string, object?> { ["timestamp"] = At, ["reading"] = 0.63, ["deviceId"] = Device }));
        var full = Assert.IsType<SentReading>(type.ParseDictionary(new Dictionary<string, object?>
        {
            ["timestamp"] = At, ["reading"] = 7, ["deviceId"] = Device, ["customerId"] = Customer, ["key"] = "power.l1",
        }));

        Assert.Equal(new SentReading(At, 0.63, Device, null), bare);
        Assert.Equal(new SentReading(At, 7, Device, Customer, "power.l1"), full);
    }

    [Fact]
    public void The_ingest_inputs_fields_have_no_parser()
    {
        GraphQL.Types.IInputObjectGraphType[] inputs = [new ReadingInputGraphType(), new MessageInputGraphType(), new KeyValueInputGraphType()];

        Assert.All(inputs.SelectMany(input => input.Fields.Select(field => (Input: input.Name, Field: field))),
            pair => Assert.True(pair.Field.Parser is null, $"{pair.Input}.{pair.Field.Name} has a parser again"));
    }
}
