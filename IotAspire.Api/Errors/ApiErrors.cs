namespace IotAspire.Api.Errors;

/// <summary>
/// The errors a caller can cause, each with a stable machine code (<c>extensions.code</c> in GraphQL) and
/// a sentence a person can act on. Features throw them; the schema turns them into GraphQL errors, so
/// no feature needs to know GraphQL.
/// </summary>
public static class ApiErrors
{
    public const string BadUserInput = "BAD_USER_INPUT";
    public const string Forbidden = "FORBIDDEN";
    public const string Unauthenticated = "UNAUTHENTICATED";

    public static ApiErrorException BadInput(string message) => new(BadUserInput, message);

    public static ApiErrorException NotAllowed(string message) => new(Forbidden, message);
}
