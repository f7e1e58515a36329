using System.Globalization;
using System.Text.RegularExpressions;
using GraphQL.Types;
using GraphQLParser.AST;

namespace IotAspire.Api.Schema;

/// <summary>
/// The <c>DateTime</c> scalar: ISO-8601. Input without an offset is UTC (the original system's devices send
/// "2022-01-21T10:56:18.950901"); output is always UTC with an explicit offset and keeps microseconds.
/// </summary>
public sealed partial class IsoDateTimeGraphType : ScalarGraphType
{
    public IsoDateTimeGraphType()
    {
        Name = "DateTime";
        Description = "An ISO-8601 date and time, e.g. \"2022-01-21T10:56:18.950901+00:00\". Without an offset it is read as UTC.";
    }

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue text => Parse(text.Value.ToString()),
        _ => ThrowLiteralConversionError(value, "a DateTime must be written as a string"),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        string text => Parse(text),
        DateTimeOffset moment => moment,
        _ => ThrowValueConversionError(value),
    };

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        DateTimeOffset moment => moment.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz", CultureInfo.InvariantCulture),
        DateTime moment => new DateTimeOffset(DateTime.SpecifyKind(moment, DateTimeKind.Utc)).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz", CultureInfo.InvariantCulture),
        _ => ThrowSerializationError(value),
    };

    private static DateTimeOffset Parse(string text) =>
        Iso8601().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var moment)
            ? moment
            : throw new FormatException($"'{text}' is not an ISO-8601 date and time (e.g. 2022-01-21T10:56:18Z).");

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Iso8601();
}
