using GraphQL;

namespace IotAspire.Api.Schema;

/// <summary>GraphQL errors with a stable <c>extensions.code</c> and a sentence a person can act on.</summary>
public static class ApiErrors
{
    public const string BadUserInput = "BAD_USER_INPUT";
    public const string Forbidden = "FORBIDDEN";
    public const string Unauthenticated = "UNAUTHENTICATED";

    public static ExecutionError BadInput(string message) => new(message) { Code = BadUserInput };

    public static ExecutionError NotAllowed(string message) => new(message) { Code = Forbidden };
}
