using Microsoft.AspNetCore.DataProtection;

namespace IotAspire.Auth.Tokens;

/// <summary>
/// Signing keys at rest: their private halves are encrypted with ASP.NET Core Data Protection before they
/// reach the <c>accounts</c> database, with a key ring kept outside it (<see cref="IotAspire.Shared.Security.KeyRingOptions"/>), so a
/// copy of the database alone cannot sign tokens. A key stored in the clear by an older version is still
/// read, and protected in place when the keys are next loaded (<see cref="SigningKeyStore"/>).
/// </summary>
public sealed class SigningKeyProtection(IDataProtectionProvider provider)
{
    /// <summary>The token service's Data Protection application name: keys protected under another name cannot be read.</summary>
    public const string ApplicationName = "IotAspire.Auth";

    /// <summary>The Data Protection purpose; a different purpose cannot read these keys.</summary>
    public const string Purpose = "IotAspire.Auth.SigningKeys.v1";

    private readonly IDataProtector protector = provider.CreateProtector(Purpose);

    public byte[] Protect(byte[] privateKeyPkcs8) => protector.Protect(privateKeyPkcs8);

    /// <summary>Protected payloads start with Data Protection's magic header 09 F0 C9 F0; a clear PKCS#8 key
    /// (a DER SEQUENCE, 30 ..) never does.</summary>
    public byte[] Unprotect(byte[] stored) => IsProtected(stored) ? protector.Unprotect(stored) : stored;

    public static bool IsProtected(byte[] stored) => stored is [0x09, 0xF0, 0xC9, 0xF0, ..];
}
