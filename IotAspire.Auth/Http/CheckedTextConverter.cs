using System.Text.Json;
using System.Text.Json.Serialization;
using IotAspire.Shared.Text;

namespace IotAspire.Auth.Http;

/// <summary>
/// Refuses a JSON string that <see cref="TextInput"/> refuses (NUL, which PostgreSQL text cannot store, other control
/// characters, unpaired surrogates, over-long text), so it fails at the door with the field named instead of deep in
/// the database. The refusal travels as <see cref="CheckedTextException"/> for <see cref="JsonBody"/> to name the field.
/// </summary>
public sealed class CheckedTextConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return text is not null && TextInput.Refusal(text) is { } why ? throw new CheckedTextException(why) : text;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>A text field's refusal; System.Text.Json adds the field's path on the way out.</summary>
public sealed class CheckedTextException(string why) : JsonException(why)
{
    public string Why { get; } = why;
}
