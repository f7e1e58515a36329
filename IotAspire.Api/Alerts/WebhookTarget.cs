using System.Net;
using System.Net.Sockets;
using IotAspire.Api.Errors;

namespace IotAspire.Api.Alerts;

/// <summary>
/// Where a customer's webhook may point (pure rules, then a DNS lookup): an absolute http(s) URL whose every address
/// is public, so that a customer cannot make the API call what only its own network reaches (SSRF): loopback, private
/// ranges (unless <see cref="AlertsOptions.AllowPrivateWebhookTargets"/>), and never link-local or cloud metadata
/// addresses or the API's own endpoints. The sender checks the address it connects to again (a name may resolve
/// elsewhere by then).
/// </summary>
public static class WebhookTarget
{
    public const int MaxUrlLength = 2_000;

    /// <summary>The URL, checked in form (no network), or BAD_USER_INPUT naming <c>url</c>.</summary>
    public static Uri CheckForm(string url)
    {
        if (url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            throw ApiErrors.BadInput($"url must be an absolute http or https URL of at most {MaxUrlLength} characters, such as https://example.com/hooks/iotaspire.");
        }

        if (uri.UserInfo.Length > 0)
        {
            throw ApiErrors.BadInput("url must not carry a user name or password; authenticate the webhook by its IotAspire-Signature header.");
        }

        return uri;
    }

    /// <summary>Why the API must not connect to <paramref name="address"/>, or null when it may (a pure rule).</summary>
    public static string? Refusal(IPAddress address, bool allowPrivate) => SpecialPurposeAddresses.Of(address) switch
    {
        { Kind: SpecialPurposeAddresses.Kind.Public } => null,
        { Kind: SpecialPurposeAddresses.Kind.LoopbackOrPrivate } when allowPrivate => null,
        var verdict => verdict.Why,
    };

    /// <summary>
    /// The URL if every address its host resolves to may be called and it is not one of the API's own endpoints
    /// (<paramref name="ownHosts"/>: host names and <c>host:port</c> the API answers on), or BAD_USER_INPUT naming <c>url</c>.
    /// </summary>
    public static async Task<Uri> CheckAsync(string url, bool allowPrivate, IReadOnlyCollection<string> ownHosts, CancellationToken ct)
    {
        var uri = CheckForm(url);
        if (ownHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase) || ownHosts.Contains(uri.Authority, StringComparer.OrdinalIgnoreCase))
        {
            throw ApiErrors.BadInput($"url ({uri.Authority}) is this API itself; a webhook must point at a server of yours.");
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.DnsSafeHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.DnsSafeHost, ct);
        }
        catch (SocketException)
        {
            addresses = [];
        }

        if (addresses.Length == 0)
        {
            throw ApiErrors.BadInput($"url: the host {uri.Host} does not resolve; use a name that resolves to a public address.");
        }

        foreach (var address in addresses)
        {
            if (Refusal(address, allowPrivate) is { } why)
            {
                throw ApiErrors.BadInput($"url: {uri.Host} resolves to {address}, {why}, which the API does not call; use a public address.");
            }

            if (IPAddress.IsLoopback(address) && ownHosts.Contains($"localhost:{uri.Port}", StringComparer.OrdinalIgnoreCase))
            {
                throw ApiErrors.BadInput($"url ({uri.Authority}) is this API itself; a webhook must point at a server of yours.");
            }
        }

        return uri;
    }
}
