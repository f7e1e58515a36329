using GraphQL;
using IotAspire.Api.Errors;

namespace IotAspire.Api.Schema;

/// <summary>
/// A field refused for now (<see cref="ApiErrors.ResourceExhausted"/>): the error says when to retry in
/// <c>extensions.retryAfterSeconds</c>, and the HTTP transport answers 429 with <c>Retry-After</c>, as HTTP clients
/// and proxies understand a refusal to be retried.
/// </summary>
public sealed class RetryLaterError : ExecutionError
{
    public RetryLaterError(string code, string message, TimeSpan retryAfter) : base(message)
    {
        Code = code;
        RetryAfterSeconds = ApiErrors.RetryAfterSeconds(retryAfter);
    }

    public int RetryAfterSeconds { get; }
}
