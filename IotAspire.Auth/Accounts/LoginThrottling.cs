using System.Security.Cryptography;
using System.Text;
using IotAspire.Auth.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IotAspire.Auth.Accounts;

/// <summary>
/// Counts sign-in attempts in the database (shared by every replica, kept across restarts), per username
/// from one client address and per username from all addresses. Each attempt is counted atomically
/// <em>before</em> the password is checked, so parallel attempts cannot all slip under the limit; a
/// successful sign-in clears the counts. Past <see cref="LoginThrottlingOptions.MaxFailures"/> from one
/// address (or <see cref="LoginThrottlingOptions.MaxFailuresFromAllAddresses"/> from all), the username is
/// refused until the window ends, whether the password is right or not and whether the user exists or
/// not. Keying by address as well means a stranger guessing at 'admin' locks out only themselves, until a
/// distributed attack reaches the overall bound. Keys are hashes: no client address is stored.
/// </summary>
public sealed class LoginThrottling(AccountsDbContext db, IOptions<LoginThrottlingOptions> options, TimeProvider clock)
{
    /// <summary>Counts this attempt.</summary>
    /// <returns>How long the caller must wait (the attempt is then not evaluated), or null to go on.</returns>
    public async Task<TimeSpan?> BeginAttemptAsync(string normalizedUserName, string clientAddress, CancellationToken ct)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var windowStart = now - settings.Window;
        var (fromClient, overall) = Keys(normalizedUserName, clientAddress);

        // One statement: both counters move together, and each returns its count after this attempt.
        var counts = await db.Database.SqlQuery<ThrottleCount>($"""
            INSERT INTO login_throttles AS t (normalized_user_name, failures, window_started_at)
            VALUES ({fromClient}, 1, {now}), ({overall}, 1, {now})
            ON CONFLICT (normalized_user_name) DO UPDATE SET
                failures = CASE WHEN t.window_started_at <= {windowStart} THEN 1 ELSE t.failures + 1 END,
                window_started_at = CASE WHEN t.window_started_at <= {windowStart} THEN {now} ELSE t.window_started_at END
            RETURNING t.normalized_user_name AS "Key", t.failures AS "Failures", t.window_started_at AS "WindowStartedAt"
            """).ToListAsync(ct);

        var over = counts.Where(c => c.Failures > (c.Key == overall ? settings.MaxFailuresFromAllAddresses : settings.MaxFailures)).ToList();
        if (over.Count == 0)
        {
            return null;
        }

        var wait = over.Max(c => c.WindowStartedAt) + settings.Window - now;
        return wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
    }

    /// <summary>After a successful sign-in: the attempts of this username from this address, and overall, are forgiven.</summary>
    public Task ResetAsync(string normalizedUserName, string clientAddress, CancellationToken ct)
    {
        var (fromClient, overall) = Keys(normalizedUserName, clientAddress);
        return db.LoginThrottles.Where(t => t.NormalizedUserName == fromClient || t.NormalizedUserName == overall).ExecuteDeleteAsync(ct);
    }

    /// <summary>Forgets windows that have ended, so random usernames leave no rows behind.</summary>
    public Task<int> PurgeExpiredAsync(CancellationToken ct)
    {
        var windowStart = clock.GetUtcNow() - options.Value.Window;
        return db.LoginThrottles.Where(t => t.WindowStartedAt <= windowStart).ExecuteDeleteAsync(ct);
    }

    private static (string FromClient, string Overall) Keys(string normalizedUserName, string clientAddress) =>
        (Hash($"client|{clientAddress}|{normalizedUserName}"), Hash($"user|{normalizedUserName}"));

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private sealed record ThrottleCount(string Key, int Failures, DateTimeOffset WindowStartedAt);
}
