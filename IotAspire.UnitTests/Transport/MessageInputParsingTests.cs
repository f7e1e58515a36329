using IotAspire.Api.Ingestion;
using IotAspire.Api.Schema;

namespace IotAspire.UnitTests.Transport;

/// <summary>
/// <c>MessageInput</c> and <c>KeyValueInput</c> are built from the fields GraphQL.NET has parsed (not by its reflection):
/// every field reaches the record, <c>customerId</c> whether given or not, and <c>values</c> in whichever list shape the
/// variables arrive (an array of parsed values, another list, or a single value coerced to a list).
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
}
