namespace IotAspire.Api.Errors;

/// <summary>A request the API refuses, with the code and message the caller sees (see <see cref="ApiErrors"/>).</summary>
public sealed class ApiErrorException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>When the same request may succeed (sent as <c>Retry-After</c> and <c>extensions.retryAfterSeconds</c>).</summary>
    public TimeSpan? RetryAfter { get; init; }
}
