using Microsoft.AspNetCore.Http;

namespace IotAspire.Shared.Security;

public static class ClientAddress
{
    /// <summary>
    /// The caller's address as this service sees it. Behind a reverse proxy that is the proxy's, unless
    /// ASP.NET Core's forwarded-headers middleware is configured for it; then per-address limits apply to
    /// the proxy as a whole.
    /// </summary>
    public static string Of(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
