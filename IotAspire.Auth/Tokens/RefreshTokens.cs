using System.Security.Cryptography;
using System.Text;
using IotAspire.Auth.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace IotAspire.Auth.Tokens;

/// <summary>
/// Opaque refresh tokens (256 random bits), stored as SHA-256 hashes. Each is good for one use: using it
/// hands out its successor in the same family. A second use of the same token revokes the family.
/// </summary>
public sealed class RefreshTokens(AccountsDbContext db, IOptions<TokenIssuingOptions> options, TimeProvider clock, ILogger<RefreshTokens> logger)
{
    public async Task<string> IssueAsync(Guid userId, Guid? familyId, CancellationToken ct)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        db.RefreshTokens.Add(new RefreshToken
        {
            Id = Guid.CreateVersion7(),
            TokenHash = Hash(token),
            UserId = userId,
            FamilyId = familyId ?? Guid.CreateVersion7(),
            CreatedAt = now,
            ExpiresAt = now + options.Value.RefreshTokenLifetime,
        });
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>
    /// Marks the token used, in one statement so that two concurrent uses cannot both succeed.
    /// </summary>
    /// <returns>The owner and family when the token was valid and unused; null otherwise.</returns>
    public async Task<(Guid UserId, Guid FamilyId)?> RedeemAsync(string? token, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 200)
        {
            return null;
        }

        var hash = Hash(token);
        var now = clock.GetUtcNow();
        var redeemed = await db.Database.SqlQuery<RedeemedToken>($"""
            UPDATE refresh_tokens SET used_at = {now}
            WHERE token_hash = {hash} AND used_at IS NULL AND revoked_at IS NULL AND expires_at > {now}
            RETURNING user_id AS "UserId", family_id AS "FamilyId"
            """).ToListAsync(ct);

        if (redeemed is [var valid])
        {
            return (valid.UserId, valid.FamilyId);
        }

        var replayed = await db.RefreshTokens.AsNoTracking()
            .SingleOrDefaultAsync(t => t.TokenHash == hash && t.UsedAt != null, ct);
        if (replayed is not null)
        {
            logger.LogWarning("Refresh token of user {UserId} was used twice; revoking its family {FamilyId}",
                replayed.UserId, replayed.FamilyId);
            await RevokeFamilyAsync(replayed.FamilyId, ct);
        }

        return null;
    }

    public Task RevokeFamilyAsync(Guid familyId, CancellationToken ct) =>
        Revoke(db.RefreshTokens.Where(t => t.FamilyId == familyId), ct);

    public Task RevokeAllAsync(Guid userId, CancellationToken ct) =>
        Revoke(db.RefreshTokens.Where(t => t.UserId == userId), ct);

    private Task<int> Revoke(IQueryable<RefreshToken> tokens, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return tokens.Where(t => t.RevokedAt == null).ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, now), ct);
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private sealed record RedeemedToken(Guid UserId, Guid FamilyId);
}
