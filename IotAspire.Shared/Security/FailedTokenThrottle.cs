using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace IotAspire.Shared.Security;

/// <summary>Configured under <c>FailedTokenThrottling</c>; checked at start.</summary>
public sealed class FailedTokenThrottlingOptions
{
    public const string Section = "FailedTokenThrottling";

    /// <summary>Failed token attempts one address may make in a <see cref="Window"/>. Generous: a fleet behind one NAT
    /// address with a device whose token was revoked, retrying every second, stays under it; a guessing loop does not.</summary>
    [Range(1, 1_000_000)]
    public int MaxFailures { get; set; } = 100;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Failed bearer-token attempts (an access token that is expired, forged or malformed; a device token that is
/// unknown or revoked) counted per client address, in fixed windows, as sign-in failures are. Past
/// <see cref="FailedTokenThrottlingOptions.MaxFailures"/>, every request of that address that carries a bearer token
/// is answered 429 with <c>Retry-After</c> (the end of the window) before its token is even looked at, and one warning
/// (event <see cref="ThrottledEvent"/>) tells the operator which address. Failures that are not the token's (the
/// token service's keys unreachable, the database down) are not counted.
/// </summary>
/// <remarks>
/// Per process: each replica counts on its own, so N replicas allow N times the limit. The address is the one this
/// service sees (<c>Connection.RemoteIpAddress</c>): behind a reverse proxy, configure ASP.NET Core's forwarded headers,
/// or the proxy counts as one address. Tokens sent in a WebSocket's <c>connection_init</c> are not counted.
/// </remarks>
public sealed class FailedTokenThrottle(IOptions<FailedTokenThrottlingOptions> options, TimeProvider clock, ILogger<FailedTokenThrottle> logger)
{
    public static readonly EventId ThrottledEvent = new(4290, "FailedTokensThrottled");

    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, Window> windows = new();

    private sealed class Window(DateTimeOffset startedAt)
    {
        public DateTimeOffset StartedAt { get; } = startedAt;
        public int Failures;
    }

    /// <summary>How long requests with a token from <paramref name="address"/> are refused, or null when they are not.</summary>
    public TimeSpan? RetryAfter(string address)
    {
        var settings = options.Value;
        if (!windows.TryGetValue(address, out var window) || window.Failures < settings.MaxFailures)
        {
            return null;
        }

        var left = window.StartedAt + settings.Window - clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : null;
    }

    /// <summary>
    /// Counts a bearer token that did not authenticate because of the token: expired, forged, revoked, or not a token at
    /// all (JwtBearer reports text it cannot read as SecurityTokenMalformedException, an argument exception, which went
    /// uncounted). Not a failure of the services behind the check (the token service's keys or the database out of
    /// reach): an outage must not throttle everyone.
    /// </summary>
    public void CountUnless(string address, AuthenticateResult result)
    {
        if (!result.Succeeded && result.Failure is null or SecurityTokenException or SecurityTokenArgumentException or AuthenticationFailureException)
        {
            CountFailure(address, result.Failure is AuthenticationFailureException ? "device token" : "access token");
        }
    }

    /// <summary>Counts a failed token attempt of <paramref name="address"/>; logs once when it crosses the limit.</summary>
    public void CountFailure(string address, string kind)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        if (windows.Count > SweepAbove)
        {
            foreach (var (key, old) in windows)
            {
                if (old.StartedAt + settings.Window <= now)
                {
                    windows.TryRemove(key, out _);
                }
            }
        }

        var window = windows.AddOrUpdate(address, _ => new Window(now), (_, current) => current.StartedAt + settings.Window <= now ? new Window(now) : current);
        if (Interlocked.Increment(ref window.Failures) == settings.MaxFailures)
        {
            logger.LogWarning(ThrottledEvent,
                "Throttling {Address}: {Failures} failed token attempts ({Kind} the last) within {Window}; its requests with a token are refused with 429 until {Until:O}",
                address, settings.MaxFailures, kind, settings.Window, window.StartedAt + settings.Window);
        }
    }
}

public static class FailedTokenThrottleExtensions
{
    public static IHostApplicationBuilder AddFailedTokenThrottle(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<FailedTokenThrottlingOptions>()
            .Bind(builder.Configuration.GetSection(FailedTokenThrottlingOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<FailedTokenThrottle>();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Before <c>UseAuthentication</c>: refuses a throttled address's requests that carry a bearer token, and counts
    /// the token failures of the rest once they have been answered.
    /// </summary>
    public static IApplicationBuilder UseFailedTokenThrottle(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (!http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            await next(http);
            return;
        }

        var throttle = http.RequestServices.GetRequiredService<FailedTokenThrottle>();
        var address = ClientAddress.Of(http);   // as the sign-in limits count it
        if (throttle.RetryAfter(address) is { } wait)
        {
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await http.Response.WriteAsJsonAsync(new Dictionary<string, string>
            {
                ["error"] = "Too many requests with a token that was not valid came from this address. Wait (see Retry-After), then send a valid token: an access token from the token service or a device token that is not revoked.",
                ["code"] = "TOO_MANY_FAILED_TOKENS",
            }, http.RequestAborted);
            return;
        }

        await next(http);

        // The authentication middleware has run; its result is cached for the request, so asking again costs nothing.
        // (A WebSocket upgrade sends its token in connection_init, where the connection counts it.)
        if (http.User.Identity?.IsAuthenticated != true && !http.WebSockets.IsWebSocketRequest)
        {
            throttle.CountUnless(address, await http.AuthenticateAsync());
        }
    });
}
