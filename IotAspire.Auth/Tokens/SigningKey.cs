namespace IotAspire.Auth.Tokens;

/// <summary>A stored token-signing key pair, so that tokens survive restarts. The newest active key
/// signs; the one before it stays published for the tokens it signed; a rotated-in key is published
/// before it becomes active.</summary>
public sealed class SigningKey
{
    public required string KeyId { get; set; }
    public required string Algorithm { get; set; }
    public required byte[] PrivateKeyPkcs8 { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ActivatesAt { get; set; }
}
