using GraphQL.Types;
using GraphQLParser.AST;

namespace IotAspire.Api.Schema;

/// <summary>The <c>UUID</c> scalar: the canonical 8-4-4-4-12 hexadecimal form, in and out.</summary>
public sealed class UuidGraphType : ScalarGraphType
{
    public UuidGraphType()
    {
        Name = "UUID";
        Description = "A UUID in its canonical form, e.g. \"71bf19cb-e7e7-4334-af31-5ebba56a655d\".";
    }

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue text => Parse(text.Value.ToString()),
        _ => ThrowLiteralConversionError(value, "a UUID must be written as a string"),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        string text => Parse(text),
        Guid guid => guid,
        _ => ThrowValueConversionError(value),
    };

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        Guid guid => guid.ToString("D"),
        _ => ThrowSerializationError(value),
    };

    private static Guid Parse(string text) =>
        Guid.TryParseExact(text, "D", out var guid)
            ? guid
            : throw new FormatException($"'{text}' is not a UUID (expected the form 71bf19cb-e7e7-4334-af31-5ebba56a655d).");
}
