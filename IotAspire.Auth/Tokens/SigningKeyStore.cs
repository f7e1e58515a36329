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
public sealed class SigningKeyStore(IServiceScopeFactory scopes, IOptions<TokenIssuingOptions> options, TimeProvider clock) : IDisposable
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
        var keyId = await AddKeyAsync(activatesAt, ct);
        cache = null;
        return (keyId, activatesAt);
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
                await AddKeyAsync(activatesAt: clock.GetUtcNow(), ct);
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

    private async Task<string> AddKeyAsync(DateTimeOffset activatesAt, CancellationToken ct)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new SigningKey
        {
            KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            Algorithm = AccessTokenDefaults.Algorithm,
            PrivateKeyPkcs8 = ecdsa.ExportPkcs8PrivateKey(),
            CreatedAt = clock.GetUtcNow(),
            ActivatesAt = activatesAt,
        };

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        db.SigningKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return key.KeyId;
    }

    private async Task<KeySet?> LoadAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var pending = await db.SigningKeys.AsNoTracking()
            .Where(k => k.ActivatesAt > now).OrderBy(k => k.ActivatesAt).FirstOrDefaultAsync(ct);
        var active = await db.SigningKeys.AsNoTracking()
            .Where(k => k.ActivatesAt <= now).OrderByDescending(k => k.ActivatesAt).ThenBy(k => k.KeyId)
            .Take(2).ToListAsync(ct);
        if (active.Count == 0)
        {
            return null;
        }

        var published = active.Select(ToSecurityKey).ToList();
        if (pending is not null)
        {
            published.Add(ToSecurityKey(pending));
        }

        // The cached set must be reloaded the moment the pending key becomes the signing key.
        return new KeySet(published[0], published, now, pending?.ActivatesAt ?? DateTimeOffset.MaxValue);
    }

    private static ECDsaSecurityKey ToSecurityKey(SigningKey stored)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(stored.PrivateKeyPkcs8, out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = stored.KeyId };
    }

    private sealed record KeySet(ECDsaSecurityKey Signing, IReadOnlyList<ECDsaSecurityKey> Published, DateTimeOffset LoadedAt, DateTimeOffset ValidUntil);

    public void Dispose() => refresh.Dispose();
}
