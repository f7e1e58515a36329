using System.Globalization;
using System.Threading.RateLimiting;
using IotAspire.Shared.Security;
using Microsoft.Extensions.Options;

namespace IotAspire.Auth.Accounts;

/// <summary>
/// ASP.NET Core's rate limiter on the sign-in endpoints, per client address: a token bucket, so a person or
/// a device signing in now and then never notices it, while a guessing loop is held to
/// <see cref="LoginThrottlingOptions.ClientRequestsPerSecond"/>. Answers 429 with Retry-After.
/// </summary>
public static class SignInRateLimit
{
    public const string Policy = "sign-in";

    public static IHostApplicationBuilder AddSignInRateLimit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Policy, http =>
            {
                var settings = http.RequestServices.GetRequiredService<IOptions<LoginThrottlingOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(ClientAddress.Of(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.ClientBurst,
                    TokensPerPeriod = settings.ClientRequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                await context.HttpContext.Response.WriteAsJsonAsync(
                    new { detail = "Too many sign-in requests from this address. Wait a moment (see Retry-After) and try again." }, ct);
            };
        });
        return builder;
    }
}
