using IotAspire.Auth.Accounts;
using IotAspire.Auth.Data;
using IotAspire.Shared.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IotAspire.Auth.Tokens;

/// <summary>The token pair, named as the original system's clients expect them.</summary>
public sealed record TokenPair(string Access, string Refresh);

/// <summary>Issues access tokens (signed JWTs) with their refresh tokens, and validates access tokens.</summary>
public sealed class TokenIssuer(
    AccountsDbContext db, SigningKeyStore keys, RefreshTokens refreshTokens, IOptions<TokenIssuingOptions> options, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    public async Task<TokenPair> IssueAsync(UserAccount user, CancellationToken ct) =>
        new(await CreateAccessTokenAsync(user, ct), await refreshTokens.IssueAsync(user.Id, familyId: null, ct));

    /// <summary>Trades a refresh token for a new pair; null when it is unknown, used, expired, revoked, or its user inactive.</summary>
    public async Task<TokenPair?> RefreshAsync(string? refreshToken, CancellationToken ct)
    {
        if (await refreshTokens.RedeemAsync(refreshToken, ct) is not var (userId, familyId))
        {
            return null;
        }

        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, ct);
        if (user is not { IsActive: true })
        {
            await refreshTokens.RevokeFamilyAsync(familyId, ct);
            return null;
        }

        // Claims come from the account as it is now: a changed role or customer applies at the next refresh.
        return new(await CreateAccessTokenAsync(user, ct), await refreshTokens.IssueAsync(user.Id, familyId, ct));
    }

    public async Task<bool> IsValidAccessTokenAsync(string? token, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return false;
        }

        var parameters = AccessTokenDefaults.CreateValidationParameters();
        parameters.IssuerSigningKeys = await keys.GetPublishedKeysAsync(ct);
        var result = await Handler.ValidateTokenAsync(token, parameters);
        return result.IsValid;
    }

    private async Task<string> CreateAccessTokenAsync(UserAccount user, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            [IotClaimTypes.Subject] = user.Id.ToString(),
            [IotClaimTypes.Name] = user.UserName,
            [IotClaimTypes.Role] = user.Role,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        if (user.CustomerId is { } customerId)
        {
            claims[IotClaimTypes.CustomerId] = customerId.ToString();
        }

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AccessTokenDefaults.Issuer,
            Audience = AccessTokenDefaults.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + options.Value.AccessTokenLifetime,
            Claims = claims,
            TokenType = "JWT",
            SigningCredentials = new SigningCredentials(await keys.GetSigningKeyAsync(ct), AccessTokenDefaults.Algorithm),
        });
    }
}
