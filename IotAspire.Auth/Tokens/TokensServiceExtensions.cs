using IotAspire.Shared.Security;

namespace IotAspire.Auth.Tokens;

public static class TokensServiceExtensions
{
    /// <summary>Issuing access and refresh tokens, and the signing keys (settings checked at start).</summary>
    public static IHostApplicationBuilder AddTokens(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<TokenIssuingOptions>(TokenIssuingOptions.Section,
            (options => options.RefreshTokenLifetime > options.AccessTokenLifetime,
                "RefreshTokenLifetime must be longer than AccessTokenLifetime, or clients could not refresh in time."),
            (options => options.SigningKeyActivationDelay >= AccessTokenDefaults.JwksRefreshInterval,
                $"SigningKeyActivationDelay must be at least {AccessTokenDefaults.JwksRefreshInterval.TotalMinutes:0} minutes, how often the API re-reads the published keys; "
                + "a shorter delay would sign tokens the API cannot verify yet."));
        builder.AddKeyRing(SigningKeyProtection.ApplicationName);

        builder.Services.AddSingleton<SigningKeyProtection>();
        builder.Services.AddSingleton<SigningKeyStore>();
        builder.Services.AddScoped<RefreshTokens>();
        builder.Services.AddScoped<TokenIssuer>();
        return builder;
    }
}
