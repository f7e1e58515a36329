namespace IotAspire.Auth.Tokens;

/// <summary>A stored token-signing key pair, so that tokens survive restarts. The newest signs; the
/// one before it stays published until tokens it signed have expired.</summary>
public sealed class SigningKey
{
    public required string KeyId { get; set; }
    public required string Algorithm { get; set; }
    public required byte[] PrivateKeyPkcs8 { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
