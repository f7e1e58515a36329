using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace IotAspire.Api.Security;

public static class TokenValidationExtensions
{
    private const string AccessOrDeviceToken = "AccessOrDeviceToken";

    /// <summary>
    /// Accepts access tokens of the token service, verified with the public keys it publishes (found by
    /// Aspire service discovery as <c>http://{tokenService}</c>): no secret is shared between services.
    /// Unknown signing keys trigger a JWKS refresh, so key rotation needs no restart here.
    /// </summary>
    public static IHostApplicationBuilder AddTokenValidation(this IHostApplicationBuilder builder, string tokenService)
    {
        // A bearer token is either a device token (its own prefix; the scheme is added with device
        // provisioning) or an access token of the token service.
        builder.Services.AddAuthentication(AccessOrDeviceToken)
            .AddPolicyScheme(AccessOrDeviceToken, "Access token or device token", options => options.ForwardDefaultSelector = http =>
                DeviceTokenFormat.IsDeviceToken(http.Request.Headers.Authorization) ? DeviceTokenFormat.Scheme : JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MetadataAddress = $"http://{tokenService}{AccessTokenDefaults.DiscoveryPath}";
                // Service-to-service traffic inside the Aspire application is plain HTTP; TLS ends at the edge.
                options.RequireHttpsMetadata = false;
                options.MapInboundClaims = false;
                // The token service publishes a rotated-in key at least this long before it signs with it; a
                // token with an unknown key id re-reads the keys at once, at most every 30 seconds.
                options.AutomaticRefreshInterval = AccessTokenDefaults.JwksRefreshInterval;
                options.RefreshInterval = AccessTokenDefaults.JwksUnknownKeyRefreshInterval;
                options.RefreshOnIssuerKeyNotFound = true;
                options.TokenValidationParameters = AccessTokenDefaults.CreateValidationParameters();
            });

        // The metadata client comes from the factory so that it resolves "http://auth" through service
        // discovery and gets the standard resilience handler. Configure (not PostConfigure): JwtBearer's
        // own post-configuration builds its ConfigurationManager from this Backchannel.
        builder.Services.AddHttpClient("token-service-metadata");
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IHttpClientFactory>((options, clients) => options.Backchannel = clients.CreateClient("token-service-metadata"));

        builder.Services.AddAuthorization();
        return builder;
    }
}
