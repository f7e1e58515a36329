using IotAspire.Auth.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IotAspire.Auth.Accounts;

public abstract record CredentialCheckResult
{
    public sealed record Succeeded(UserAccount User) : CredentialCheckResult;

    /// <summary>Wrong password, unknown user or inactive user: deliberately one answer for all three.</summary>
    public sealed record Failed : CredentialCheckResult;

    public sealed record LockedOut(TimeSpan RetryAfter) : CredentialCheckResult;
}

/// <summary>Checks a username and password, throttled per username and client address (<see cref="LoginThrottling"/>).</summary>
public sealed class CredentialCheck(AccountsDbContext db, IPasswordHasher<UserAccount> hasher, LoginThrottling throttling)
{
    // Hashing even for unknown users keeps the response time from telling whether a username exists.
    private static readonly string DummyHash = new PasswordHasher<UserAccount>().HashPassword(null!, "not-a-real-password-1");

    public async Task<CredentialCheckResult> SignInAsync(string? userName, string? password, string clientAddress, CancellationToken ct)
    {
        var normalized = UserAccount.Normalize(userName ?? "");
        if (!UserAccount.CouldExist(normalized) || string.IsNullOrEmpty(password))
        {
            return new CredentialCheckResult.Failed();
        }

        if (await throttling.BeginAttemptAsync(normalized, clientAddress, ct) is { } wait)
        {
            return new CredentialCheckResult.LockedOut(wait);
        }

        var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, ct);
        var verdict = hasher.VerifyHashedPassword(user!, user?.PasswordHash ?? DummyHash, password);
        if (user is null || verdict == PasswordVerificationResult.Failed || !user.IsActive)
        {
            return new CredentialCheckResult.Failed();
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = hasher.HashPassword(user, password);
            await db.SaveChangesAsync(ct);
        }

        await throttling.ResetAsync(normalized, clientAddress, ct);
        return new CredentialCheckResult.Succeeded(user);
    }
}
