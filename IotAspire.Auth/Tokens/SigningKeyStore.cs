using System.Security.Cryptography;
using IotAspire.Auth.Data;
using IotAspire.Shared.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace IotAspire.Auth.Tokens;

/// <summary>
/// The token-signing keys, kept in the accounts database so that issued tokens survive a restart and every
/// replica signs with the same key. Published (JWKS): the key that signs now, the one before it (tokens it
/// signed are still valid), and a rotated-in key that is not active yet (so that verifiers know it before
/// the first token it signs reaches them).
/// </summary>
public sealed class SigningKeyStore(
    IServiceScopeFactory scopes, IOptions<TokenIssuingOptions> options, TimeProvider clock, SigningKeyProtection protection) : IDisposable
{
    // Other replicas notice a rotation within this time; this one at once.
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim refresh = new(1, 1);
    private volatile KeySet? cache;

    /// <summary>The key that signs new tokens.</summary>
    public async Task<ECDsaSecurityKey> GetSigningKeyAsync(CancellationToken ct) => (await GetKeySetAsync(ct)).Signing;

    /// <summary>What the JWKS endpoint publishes and what token validation accepts.</summary>
    public async Task<IReadOnlyList<ECDsaSecurityKey>> GetPublishedKeysAsync(CancellationToken ct) => (await GetKeySetAsync(ct)).Published;

    /// <summary>Adds the next signing key: published now, signing after <see cref="TokenIssuingOptions.SigningKeyActivationDelay"/>.</summary>
    public async Task<(string KeyId, DateTimeOffset ActivatesAt)> RotateAsync(CancellationToken ct)
    {
        var activatesAt = clock.GetUtcNow() + options.Value.SigningKeyActivationDelay;
        var key = NewKey(activatesAt);
        await StoreAsync(key, onlyIfNoneActive: false, ct);
        cache = null;
        return (key.KeyId, activatesAt);
    }

    private async Task<KeySet> GetKeySetAsync(CancellationToken ct)
    {
        if (cache is { } fresh && clock.GetUtcNow() - fresh.LoadedAt < CacheLifetime && fresh.ValidUntil > clock.GetUtcNow())
        {
            return fresh;
        }

        await refresh.WaitAsync(ct);
        try
        {
            var keySet = await LoadAsync(ct);
            if (keySet is null)
            {
                await StoreAsync(NewKey(activatesAt: clock.GetUtcNow()), onlyIfNoneActive: true, ct);
                keySet = await LoadAsync(ct);
            }

            cache = keySet;
            return keySet!;
        }
        finally
        {
            refresh.Release();
        }
    }

    // Replicas starting together on a new database each find no key: the first adds one, the others wait for it
    // and take it, instead of each signing with a key of its own that the others do not publish yet.
    private const string FirstKeyLock = "SELECT pg_advisory_xact_lock(hashtext('iotaspire first signing key'))";

    private SigningKey NewKey(DateTimeOffset activatesAt)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new SigningKey
        {
            KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            Algorithm = AccessTokenDefaults.Algorithm,
            PrivateKeyPkcs8 = protection.Protect(ecdsa.ExportPkcs8PrivateKey()),
            CreatedAt = clock.GetUtcNow(),
            ActivatesAt = activatesAt,
        };
    }

    /// <summary>Stores <paramref name="key"/>; with <paramref name="onlyIfNoneActive"/>, only if no key signs yet (false: another replica added one).</summary>
    private async Task<bool> StoreAsync(SigningKey key, bool onlyIfNoneActive, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        // The transaction as one retriable unit (the context retries transient failures).
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (onlyIfNoneActive)
            {
                await db.Database.ExecuteSqlRawAsync(FirstKeyLock, ct);
                var now = clock.GetUtcNow();
                if (await db.SigningKeys.AnyAsync(k => k.ActivatesAt <= now, ct))
                {
                    return false;
                }
            }

            db.SigningKeys.Add(key);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return true;
        });
    }

    /// <summary>
    /// The signing key (the latest activated), every key that will sign later (published from the moment it
    /// is added, however many rotations are pending), and every retired key while tokens it signed may still
    /// be valid (until its successor activated + the access-token lifetime + the clock skew). So no validly
    /// signed token is ever rejected for want of its key.
    /// </summary>
    private async Task<KeySet?> LoadAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        // Rotations are rare (a handful of keys), so all are read and sorted here.
        var keys = await db.SigningKeys.AsNoTracking().ToListAsync(ct);
        foreach (var clear in keys.Where(k => !SigningKeyProtection.IsProtected(k.PrivateKeyPkcs8)))
        {
            // Stored in the clear by an older version: encrypt it in place.
            var protectedKey = protection.Protect(clear.PrivateKeyPkcs8);
            await db.SigningKeys.Where(k => k.KeyId == clear.KeyId).ExecuteUpdateAsync(set => set.SetProperty(k => k.PrivateKeyPkcs8, protectedKey), ct);
        }

        var active = keys.Where(k => k.ActivatesAt <= now)
            .OrderByDescending(k => k.ActivatesAt).ThenBy(k => k.KeyId, StringComparer.Ordinal).ToList();
        if (active.Count == 0)
        {
            return null;
        }

        var pending = keys.Where(k => k.ActivatesAt > now).OrderBy(k => k.ActivatesAt).ToList();
        var tokensOutlive = options.Value.AccessTokenLifetime + AccessTokenDefaults.ClockSkew;
        var retired = active.Skip(1)
            .Select((key, index) => (Key: key, PublishedUntil: active[index].ActivatesAt + tokensOutlive))
            .Where(retiredKey => retiredKey.PublishedUntil > now)
            .ToList();

        var published = new[] { active[0] }.Concat(retired.Select(r => r.Key)).Concat(pending).Select(ToSecurityKey).ToList();

        // Reload the moment a pending key starts signing or a retired key may be dropped.
        var changesAt = pending.Select(k => k.ActivatesAt).Concat(retired.Select(r => r.PublishedUntil)).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        return new KeySet(published[0], published, now, changesAt);
    }

    private ECDsaSecurityKey ToSecurityKey(SigningKey stored)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(protection.Unprotect(stored.PrivateKeyPkcs8), out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = stored.KeyId };
    }

    private sealed record KeySet(ECDsaSecurityKey Signing, IReadOnlyList<ECDsaSecurityKey> Published, DateTimeOffset LoadedAt, DateTimeOffset ValidUntil);

    public void Dispose() => refresh.Dispose();
}
