using System.ComponentModel.DataAnnotations;

namespace IotAspire.Auth.Tokens;

/// <summary>Configured under <c>Tokens</c> in appsettings.json; checked at start.</summary>
public sealed class TokenIssuingOptions
{
    public const string Section = "Tokens";

    /// <summary>Short, because an access token cannot be revoked before it expires.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// A rotated-in key is published at once but signs only after this delay, so every service has
    /// fetched it (the API refreshes the JWKS every 5 minutes) before the first token it signs arrives.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SigningKeyActivationDelay { get; set; } = TimeSpan.FromMinutes(10);
}
