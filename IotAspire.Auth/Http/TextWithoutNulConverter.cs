using System.Text.Json;
using System.Text.Json.Serialization;

namespace IotAspire.Auth.Http;

/// <summary>
/// Refuses a JSON string holding U+0000: PostgreSQL text cannot store it, so it would otherwise fail deep in
/// the database instead of at the door with the field named.
/// </summary>
public sealed class TextWithoutNulConverter : JsonConverter<string>
{
    public const string Refusal = "The text contains a NUL character.";

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return text is not null && text.Contains('\0', StringComparison.Ordinal) ? throw new JsonException(Refusal) : text;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
