using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace IotAspire.Api.Alerts;

/// <summary>
/// Webhook secrets at rest: encrypted with ASP.NET Core Data Protection before they reach the readings database, with
/// the API's key ring kept outside it (<c>KeyRing:Directory</c>), so a copy of the database alone cannot sign a webhook
/// call a customer's server would trust. A secret stored in the clear by an older version is still read, and protected
/// in place at start (<see cref="WebhookStore.ProtectClearSecretsAsync"/>).
/// </summary>
public sealed class WebhookSecretProtection(IDataProtectionProvider provider)
{
    /// <summary>The API's Data Protection application name.</summary>
    public const string ApplicationName = "IotAspire.Api";

    /// <summary>The Data Protection purpose; a different purpose cannot read these secrets.</summary>
    public const string Purpose = "IotAspire.Api.WebhookSecrets.v1";

    /// <summary>What a protected secret starts with; a secret we issue never does (it starts whsec_).</summary>
    public const string Prefix = "dp1:";

    private readonly IDataProtector protector = provider.CreateProtector(Purpose);

    public string Protect(string secret) => Prefix + WebEncoders.Base64UrlEncode(protector.Protect(Encoding.UTF8.GetBytes(secret)));

    public string Unprotect(string stored) => IsProtected(stored)
        ? Encoding.UTF8.GetString(protector.Unprotect(WebEncoders.Base64UrlDecode(stored[Prefix.Length..])))
        : stored;

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);
}
