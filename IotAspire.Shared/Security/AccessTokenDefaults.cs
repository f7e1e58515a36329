using Microsoft.IdentityModel.Tokens;

namespace IotAspire.Shared.Security;

/// <summary>What the token service issues and what every service accepts: one place, so they cannot drift.</summary>
public static class AccessTokenDefaults
{
    public const string Issuer = "iotaspire-auth";
    public const string Audience = "iotaspire-api";

    /// <summary>Where the token service publishes its OpenID configuration (and through it the JWKS).</summary>
    public const string DiscoveryPath = "/.well-known/openid-configuration";

    /// <summary>ECDSA P-256 with SHA-256: asymmetric, so services verify with the published public key alone.</summary>
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    /// <summary>
    /// How often a validating service re-reads the published keys even when nothing asks it to. A key must
    /// be published at least this long before it signs (the token service's SigningKeyActivationDelay).
    /// </summary>
    public static readonly TimeSpan JwksRefreshInterval = TimeSpan.FromMinutes(5);

    /// <summary>The least time between two key re-reads triggered by a token with an unknown key id, so a
    /// stream of forged key ids cannot make a service hammer the token service.</summary>
    public static readonly TimeSpan JwksUnknownKeyRefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>Clocks of services on one host or cluster agree closely; five-minute tokens deserve a small skew.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>Validation rules for access tokens; signing keys come from the caller (JWKS or key store).</summary>
    public static TokenValidationParameters CreateValidationParameters() => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        ValidAlgorithms = [Algorithm],
        ValidTypes = ["JWT", "at+jwt"],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidateIssuerSigningKey = true,
        ClockSkew = ClockSkew,
        NameClaimType = IotClaimTypes.Name,
        RoleClaimType = IotClaimTypes.Role,
    };
}
