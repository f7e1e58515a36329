using System.Security.Cryptography;
using IotAspire.Auth.Data;
using IotAspire.Shared.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace IotAspire.Auth.Tokens;

/// <summary>
/// The token-signing keys, kept in the accounts database so that issued tokens survive a restart and every
/// replica signs with the same key. The newest key signs; it and the one before are published, so tokens
/// signed just before a rotation stay valid until they expire.
/// </summary>
public sealed class SigningKeyStore(IServiceScopeFactory scopes, TimeProvider clock)
{
    private const int PublishedKeys = 2;

    // Other replicas notice a rotation within this time; this one at once.
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim refresh = new(1, 1);
    private volatile CachedKeys? cache;

    /// <summary>The key that signs new tokens.</summary>
    public async Task<ECDsaSecurityKey> GetSigningKeyAsync(CancellationToken ct) => (await GetPublishedKeysAsync(ct))[0];

    /// <summary>Newest first; what the JWKS endpoint publishes and what token validation accepts.</summary>
    public async Task<IReadOnlyList<ECDsaSecurityKey>> GetPublishedKeysAsync(CancellationToken ct)
    {
        if (cache is { } fresh && clock.GetUtcNow() - fresh.LoadedAt < CacheLifetime)
        {
            return fresh.Keys;
        }

        await refresh.WaitAsync(ct);
        try
        {
            var keys = await LoadAsync(ct);
            if (keys.Count == 0)
            {
                await AddKeyAsync(ct);
                keys = await LoadAsync(ct);
            }

            cache = new CachedKeys(keys, clock.GetUtcNow());
            return keys;
        }
        finally
        {
            refresh.Release();
        }
    }

    /// <summary>Creates a new signing key; the previous one stays published for tokens it already signed.</summary>
    public async Task<string> RotateAsync(CancellationToken ct)
    {
        var keyId = await AddKeyAsync(ct);
        cache = null;
        return keyId;
    }

    private async Task<string> AddKeyAsync(CancellationToken ct)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new SigningKey
        {
            KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            Algorithm = AccessTokenDefaults.Algorithm,
            PrivateKeyPkcs8 = ecdsa.ExportPkcs8PrivateKey(),
            CreatedAt = clock.GetUtcNow(),
        };

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        db.SigningKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return key.KeyId;
    }

    private async Task<IReadOnlyList<ECDsaSecurityKey>> LoadAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var stored = await db.SigningKeys.AsNoTracking()
            .OrderByDescending(k => k.CreatedAt).ThenBy(k => k.KeyId)
            .Take(PublishedKeys)
            .ToListAsync(ct);

        return stored.Select(ToSecurityKey).ToList();
    }

    private sealed record CachedKeys(IReadOnlyList<ECDsaSecurityKey> Keys, DateTimeOffset LoadedAt);

    private static ECDsaSecurityKey ToSecurityKey(SigningKey stored)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(stored.PrivateKeyPkcs8, out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = stored.KeyId };
    }
}
