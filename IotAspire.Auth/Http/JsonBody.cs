using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace IotAspire.Auth.Http;

/// <summary>
/// Reads a JSON request body strictly (unknown fields are errors, so a typo is not silently ignored) and
/// turns every problem into a 400 whose <c>errors</c> name the offending field, which minimal APIs'
/// own binding does not do.
/// </summary>
public static partial class JsonBody
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new CheckedTextConverter() },
    };

    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Invalid("body", "Send the request body as JSON (Content-Type: application/json)."));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, ct);
            return value is null ? (null, Invalid("body", "The request body must be a JSON object.")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Describe(e));
        }
    }

    public static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    private static IResult Describe(JsonException e)
    {
        if (UnmappedProperty().Match(e.Message) is { Success: true } unmapped)
        {
            return Invalid(unmapped.Groups[1].Value, $"'{unmapped.Groups[1].Value}' is not a field of this request.");
        }

        // A value of the wrong type names its field; broken JSON syntax is about the body as a whole.
        var field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        if (field is not null && e is CheckedTextException { Why: var why })
        {
            return Invalid(field, $"'{field}' {why}");
        }

        return field is not null && e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
            ? Invalid(field, $"'{field}' has the wrong type or format (ids are UUIDs, flags are true or false).")
            : Invalid("body", $"The request body is not valid JSON (line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}).");
    }

    [GeneratedRegex("The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnmappedProperty();
}
