using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GraphQL;

namespace IotAspire.Api.GraphQLHttp;

/// <summary>
/// Reads GraphQL variables (and extensions) so that a number reaches a <c>Float</c> bit for bit as it was written.
/// GraphQL.SystemTextJson reads a fractional JSON number as <see cref="decimal"/>, and <c>decimal</c> to
/// <c>double</c> is not correctly rounded: about one random double in ten came back one unit in the last place off
/// (sent <c>-509.58980585028036</c>, stored <c>-509.5898058502803</c>). Here an integral number that fits is an
/// <see cref="int"/> or <see cref="long"/> (so <c>Int</c>, <c>Long</c> and ids keep working), and every other number
/// is parsed straight from its text as a <see cref="double"/>, which .NET rounds correctly (IEEE 754 round to nearest).
/// </summary>
public sealed class ExactNumberInputsConverter : JsonConverter<Inputs>
{
    /// <summary>How deep variables may nest: far past any input type of the schema, short of a stack overflow.</summary>
    public const int MaxDepth = 64;

    public override Inputs? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Variables must be a JSON object.");
        }

        return new Inputs(ReadObject(ref reader, depth: 0));
    }

    public override void Write(Utf8JsonWriter writer, Inputs value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, (IReadOnlyDictionary<string, object?>)value, options);

    /// <summary>One JSON number as the value GraphQL.NET's scalars take, without a detour through <c>decimal</c>.</summary>
    public static object ReadNumber(ReadOnlySpan<byte> text)
    {
        if (text.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var small))
            {
                return small;
            }

            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var large))
            {
                return large;
            }
        }

        // Overflow gives an infinity, which the schema's Float rules refuse with a message naming the field.
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, object?> ReadObject(ref Utf8JsonReader reader, int depth)
    {
        var result = new Dictionary<string, object?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            result[name] = ReadValue(ref reader, depth + 1);
        }

        return result;
    }

    private static List<object?> ReadArray(ref Utf8JsonReader reader, int depth)
    {
        var result = new List<object?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            result.Add(ReadValue(ref reader, depth + 1));
        }

        return result;
    }

    private static object? ReadValue(ref Utf8JsonReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonException($"Variables may nest at most {MaxDepth} levels deep.");
        }

        return reader.TokenType switch
        {
            JsonTokenType.StartObject => ReadObject(ref reader, depth),
            JsonTokenType.StartArray => ReadArray(ref reader, depth),
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => ReadNumber(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.Null => null,
            _ => throw new JsonException($"Unexpected {reader.TokenType} in variables."),
        };
    }
}
