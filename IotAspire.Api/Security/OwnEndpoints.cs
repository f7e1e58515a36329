using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace IotAspire.Api.Security;

/// <summary>
/// Where this API answers, for the checks that must not let a caller point the API at itself (a webhook URL): the
/// transport's knowledge, kept out of the features that ask.
/// </summary>
public sealed class OwnEndpoints(IServer server, IHttpContextAccessor http)
{
    /// <summary>The names and <c>host:port</c> this API answers on: its listening addresses and the host the caller used.</summary>
    public IReadOnlyCollection<string> Hosts()
    {
        var hosts = new List<string>();
        foreach (var address in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            var port = address[(address.LastIndexOf(':') + 1)..].TrimEnd('/');
            hosts.Add($"localhost:{port}");   // a wildcard or loopback binding answers on loopback
            if (Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                hosts.Add(uri.Authority);
            }
        }

        if (http.HttpContext?.Request.Host is { HasValue: true } requestHost)
        {
            hosts.Add(requestHost.Host);
            hosts.Add(requestHost.Value);
            if (requestHost.Port is { } port)
            {
                hosts.Add($"localhost:{port}");
            }
        }

        return hosts;
    }
}
