using IotAspire.Auth.Accounts;
using IotAspire.Auth.Http;
using IotAspire.Shared.Security;

namespace IotAspire.Auth.Tokens;

/// <summary>
/// The original system's token endpoints, with its request and response shapes, so its clients keep
/// working. Each path also answers with a trailing slash, as those clients call <c>/api/token/</c>.
/// </summary>
public static class TokenEndpoints
{
    public sealed record SignInRequest(string? Username, string? Password);
    public sealed record RefreshRequest(string? Refresh);
    public sealed record VerifyRequest(string? Token);

    private static readonly object InvalidCredentials = new { detail = "No active account found with the given credentials" };
    private static readonly object InvalidToken = new { detail = "Token is invalid or expired", code = "token_not_valid" };

    public static IEndpointRouteBuilder MapTokenEndpoints(this IEndpointRouteBuilder app)
    {
        // Routing matches "/api/token/" to "/api/token" as well, so each path is mapped once.
        app.MapPost("/api/token", SignInAsync).AllowAnonymous().RequireRateLimiting(SignInRateLimit.Policy);
        app.MapPost("/api/token/refresh", RefreshAsync).AllowAnonymous().RequireRateLimiting(SignInRateLimit.Policy);
        app.MapPost("/api/token/verify", VerifyAsync).AllowAnonymous().RequireRateLimiting(SignInRateLimit.Policy);

        return app;
    }

    private static async Task<IResult> SignInAsync(HttpRequest request, CredentialCheck credentials, TokenIssuer issuer, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync<SignInRequest>(request, ct);
        if (error is not null)
        {
            return error;
        }

        switch (await credentials.SignInAsync(body!.Username, body.Password, ClientAddress.Of(request.HttpContext), ct))
        {
            case CredentialCheckResult.Succeeded(var user):
                var pair = await issuer.IssueAsync(user, ct);
                return Results.Ok(new { access = pair.Access, refresh = pair.Refresh });

            case CredentialCheckResult.LockedOut(var wait):
                var seconds = (int)Math.Ceiling(wait.TotalSeconds);
                request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(
                    new { detail = $"Too many failed sign-in attempts for this username. Try again in {seconds} seconds." },
                    statusCode: StatusCodes.Status429TooManyRequests);

            default:
                return Results.Json(InvalidCredentials, statusCode: StatusCodes.Status401Unauthorized);
        }
    }

    private static async Task<IResult> RefreshAsync(HttpRequest request, TokenIssuer issuer, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync<RefreshRequest>(request, ct);
        if (error is not null)
        {
            return error;
        }

        return await issuer.RefreshAsync(body!.Refresh, ct) is { } pair
            ? Results.Ok(new { access = pair.Access, refresh = pair.Refresh })
            : Results.Json(InvalidToken, statusCode: StatusCodes.Status401Unauthorized);
    }

    private static async Task<IResult> VerifyAsync(HttpRequest request, TokenIssuer issuer, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync<VerifyRequest>(request, ct);
        if (error is not null)
        {
            return error;
        }

        return await issuer.IsValidAccessTokenAsync(body!.Token, ct)
            ? Results.Ok(new { })
            : Results.Json(InvalidToken, statusCode: StatusCodes.Status401Unauthorized);
    }
}
