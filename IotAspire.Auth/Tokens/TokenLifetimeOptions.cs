namespace IotAspire.Auth.Tokens;

/// <summary>Configured under <c>Tokens</c> in appsettings.json.</summary>
public sealed class TokenLifetimeOptions
{
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(1);
}
