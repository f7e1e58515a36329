using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;

namespace IotAspire.Api.Errors;

/// <summary>
/// The last line: an exception nothing else handled is logged with its trace id and answered without a
/// stack trace in every environment, as a GraphQL error on the GraphQL path and as problem details
/// elsewhere. A request the server could not read (Kestrel's own 4xx, such as a body over the limit)
/// keeps its status.
/// </summary>
public sealed class UnexpectedExceptionHandler(ILogger<UnexpectedExceptionHandler> logger, IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var http = httpContext;
        var traceId = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        var (status, code, message) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, ApiErrors.BadUserInput, $"The request could not be read: {bad.Message}"),
            _ when ApiErrors.FromDatabaseFailure(exception) is { } failure => (StatusCodes.Status503ServiceUnavailable, failure.Code, failure.Message),
            _ => (StatusCodes.Status500InternalServerError, "INTERNAL_SERVER_ERROR",
                $"Something went wrong on our side; it has been logged as {traceId}. Retry later, and quote that id if it persists."),
        };

        if (status >= StatusCodes.Status500InternalServerError)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path} ({TraceId})", http.Request.Method, http.Request.Path, traceId);
        }

        http.Response.StatusCode = status;
        if (http.Request.Path.StartsWithSegments("/graphql"))
        {
            await http.Response.WriteAsJsonAsync(new { errors = new[] { new { message, extensions = new { code } } } }, cancellationToken);
            return true;
        }

        return await problems.TryWriteAsync(new()
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = status, Title = message, Extensions = { ["code"] = code, ["traceId"] = traceId } },
        });
    }
}
