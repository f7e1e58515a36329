namespace IotAspire.Api.Errors;

/// <summary>A request the API refuses, with the code and message the caller sees (see <see cref="ApiErrors"/>).</summary>
public sealed class ApiErrorException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
