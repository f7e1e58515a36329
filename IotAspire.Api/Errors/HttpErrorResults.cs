using System.Text.Json;

namespace IotAspire.Api.Errors;

/// <summary>
/// The API's errors as plain HTTP answers, for its endpoints outside GraphQL (the original REST API, exports):
/// <c>{"error": message, "code": code}</c> with the status the code stands for, never a stack trace.
/// </summary>
public static class HttpErrorResults
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>401 with how to sign in, or null when the request carries a valid token.</summary>
    public static IResult? Unauthenticated(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated == true)
        {
            return null;
        }

        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Error(StatusCodes.Status401Unauthorized, ApiErrors.Unauthenticated,
            "Sign in first: send an access token from the token service (POST /api/token/), or a device's token, as 'Authorization: Bearer <token>'.");
    }

    public static IResult Refusal(ApiErrorException e)
    {
        var refusal = Error(e.Code switch
        {
            ApiErrors.Forbidden => StatusCodes.Status403Forbidden,
            ApiErrors.Timeout => StatusCodes.Status504GatewayTimeout,
            ApiErrors.Unavailable => StatusCodes.Status503ServiceUnavailable,
            ApiErrors.ResourceExhausted => StatusCodes.Status429TooManyRequests,
            _ => StatusCodes.Status400BadRequest,
        }, e.Code, e.Message);
        return e.RetryAfter is { } retryAfter ? new WithRetryAfter(refusal, retryAfter) : refusal;
    }

    private sealed class WithRetryAfter(IResult inner, TimeSpan retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = ApiErrors.RetryAfterSeconds(retryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }

    public static IResult Error(int status, string code, string message) =>
        Results.Json(new Dictionary<string, string> { ["error"] = message, ["code"] = code }, Json, statusCode: status);
}
