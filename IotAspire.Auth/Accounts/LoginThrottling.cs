using IotAspire.Auth.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IotAspire.Auth.Accounts;

/// <summary>
/// Counts failed sign-ins per username in the database (shared by every replica, kept across restarts).
/// After <see cref="LoginThrottlingOptions.MaxFailures"/> failures, sign-in for that username is refused
/// until the window ends, whether the password is right or not, and whether the user exists or not.
/// </summary>
public sealed class LoginThrottling(AccountsDbContext db, IOptions<LoginThrottlingOptions> options, TimeProvider clock)
{
    /// <returns>How long the caller must wait, or null when sign-in may be tried.</returns>
    public async Task<TimeSpan?> RetryAfterAsync(string normalizedUserName, CancellationToken ct)
    {
        var throttle = await db.LoginThrottles.AsNoTracking()
            .SingleOrDefaultAsync(t => t.NormalizedUserName == normalizedUserName, ct);
        if (throttle is null || throttle.Failures < options.Value.MaxFailures)
        {
            return null;
        }

        var wait = throttle.WindowStartedAt + options.Value.Window - clock.GetUtcNow();
        return wait > TimeSpan.Zero ? wait : null;
    }

    /// <summary>One atomic upsert: concurrent failures are all counted, and an old window starts afresh.</summary>
    public async Task RecordFailureAsync(string normalizedUserName, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var windowStart = now - options.Value.Window;
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO login_throttles (normalized_user_name, failures, window_started_at)
            VALUES ({normalizedUserName}, 1, {now})
            ON CONFLICT (normalized_user_name) DO UPDATE SET
                failures = CASE WHEN login_throttles.window_started_at <= {windowStart} THEN 1 ELSE login_throttles.failures + 1 END,
                window_started_at = CASE WHEN login_throttles.window_started_at <= {windowStart} THEN {now} ELSE login_throttles.window_started_at END
            """, ct);
    }

    public Task ResetAsync(string normalizedUserName, CancellationToken ct) =>
        db.LoginThrottles.Where(t => t.NormalizedUserName == normalizedUserName).ExecuteDeleteAsync(ct);
}
