namespace IotAspire.Auth.Tokens;

/// <summary>Configured under <c>Tokens</c> in appsettings.json.</summary>
public sealed class TokenSettings
{
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// A rotated-in key is published at once but signs only after this delay, so every service has
    /// fetched it (the API refreshes the JWKS every 5 minutes) before the first token it signs arrives.
    /// </summary>
    public TimeSpan SigningKeyActivationDelay { get; set; } = TimeSpan.FromMinutes(10);
}
