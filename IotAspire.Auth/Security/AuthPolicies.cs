namespace IotAspire.Auth.Security;

public static class AuthPolicies
{
    /// <summary>REST calls with an administrator's access token (Bearer).</summary>
    public const string AdminApi = "AdminApi";

    /// <summary>The server-rendered admin pages, signed in with a cookie.</summary>
    public const string AdminPages = "AdminPages";

    public const string AdminCookieScheme = "AdminCookie";
}
