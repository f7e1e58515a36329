using GraphQL.Types;
using GraphQLParser.AST;
using IotAspire.Shared.Text;

namespace IotAspire.Api.Schema;

/// <summary>
/// The schema's <c>String</c>, in place of GraphQL.NET's: every text argument and input field, in a literal or a
/// variable, passes <see cref="TextInput"/> before any resolver runs, so a NUL, a control character, an unpaired
/// surrogate or an over-long text is <c>BAD_USER_INPUT</c> naming the argument, never a database error. One rule for
/// every field there is and every one added later; fields keep their own tighter bounds (a rule's name, a URL).
/// </summary>
public sealed class TextGraphType : StringGraphType
{
    public TextGraphType() => Name = "String";   // replaces the built-in scalar of that name

    public override object? ParseLiteral(GraphQLValue value) => Checked(base.ParseLiteral(value));

    public override object? ParseValue(object? value) => Checked(base.ParseValue(value));

    // Output is not input: GraphQL.NET serializes through ParseValue, which would refuse the API's own texts (the
    // introspection types' descriptions hold line breaks; graphql-js's IDE query asks for them).
    public override object? Serialize(object? value) => value is string text ? text : base.Serialize(value);

    private static object? Checked(object? parsed) =>
        parsed is string text && TextInput.Refusal("The text", text) is { } why ? throw new FormatException(why) : parsed;
}
