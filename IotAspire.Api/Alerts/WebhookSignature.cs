using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IotAspire.Api.Alerts;

/// <summary>
/// The <c>IotAspire-Signature</c> header, as Stripe signs its webhooks: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of
/// "t.body" with the customer's secret&gt;</c>. The receiver recomputes it and refuses an old <c>t</c>, so a captured
/// delivery cannot be replayed later, nor its body changed.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "IotAspire-Signature";

    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
        return $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>A new secret: 32 random bytes, base64url, prefixed so it is recognisable in a leak scan.</summary>
    public static string NewSecret() =>
        "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
