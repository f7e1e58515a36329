using System.Buffers.Text;
using System.Security.Cryptography;

namespace IotAspire.Api.Security;

/// <summary>
/// A device token: <c>iotd_</c> then, base64url, the token's id (16 bytes) and a random secret (32 bytes).
/// The id finds the stored token by its key; only a SHA-256 hash of the secret is stored. A plain hash is
/// enough: the secret is 256 random bits, not a password, so there is nothing to guess.
/// </summary>
public static class DeviceTokenFormat
{
    public const string Prefix = DeviceTokenText.Prefix;

    /// <summary>The authentication scheme that reads device tokens.</summary>
    public const string Scheme = "DeviceToken";

    private const int IdBytes = 16;
    private const int SecretBytes = 32;

    /// <summary>A new token for the stored id, and the hash to store with it.</summary>
    public static (string Token, byte[] SecretHash) New(Guid id)
    {
        Span<byte> raw = stackalloc byte[IdBytes + SecretBytes];
        id.TryWriteBytes(raw[..IdBytes], bigEndian: true, out _);
        RandomNumberGenerator.Fill(raw[IdBytes..]);
        return (Prefix + Base64Url.EncodeToString(raw), SHA256.HashData(raw[IdBytes..]));
    }

    /// <summary>Whether an Authorization header carries a device token (rather than an access token).</summary>
    public static bool IsDeviceToken(string? authorization) =>
        authorization is not null && authorization.StartsWith("Bearer " + Prefix, StringComparison.Ordinal);

    /// <summary>The id and the hash of the secret of a well-formed token; false for anything else.</summary>
    public static bool TryRead(string? token, out Guid id, out byte[] secretHash)
    {
        (id, secretHash) = (Guid.Empty, []);
        Span<byte> raw = stackalloc byte[IdBytes + SecretBytes + 3];
        // IsValid first: TryDecodeFromChars throws on characters outside the alphabet.
        if (token is null || !token.StartsWith(Prefix, StringComparison.Ordinal)
            || !Base64Url.IsValid(token.AsSpan(Prefix.Length), out var length) || length != IdBytes + SecretBytes
            || !Base64Url.TryDecodeFromChars(token.AsSpan(Prefix.Length), raw, out var written) || written != IdBytes + SecretBytes)
        {
            return false;
        }

        id = new Guid(raw[..IdBytes], bigEndian: true);
        secretHash = SHA256.HashData(raw[IdBytes..written]);
        return true;
    }

    /// <summary>Compares hashes in constant time, so timing tells nothing of a stored hash.</summary>
    public static bool Matches(byte[] storedHash, byte[] presentedHash) => CryptographicOperations.FixedTimeEquals(storedHash, presentedHash);
}
