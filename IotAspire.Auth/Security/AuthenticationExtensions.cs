using IotAspire.Auth.Tokens;
using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace IotAspire.Auth.Security;

public static class AuthenticationExtensions
{
    /// <summary>
    /// Bearer access tokens for the REST endpoints (validated exactly as the API validates them), and a
    /// cookie for the admin pages. Both admit administrators only.
    /// </summary>
    public static IHostApplicationBuilder AddTokenServiceAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters = AccessTokenDefaults.CreateValidationParameters();
            })
            .AddCookie(AuthPolicies.AdminCookieScheme, options =>
            {
                options.LoginPath = "/admin/login";
                options.LogoutPath = "/admin/logout";
                options.AccessDeniedPath = "/admin/login";
                options.Cookie.Name = "iotaspire-admin";
                options.Cookie.Path = "/admin";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = TimeSpan.FromHours(1);
                options.SlidingExpiration = true;
                options.Events.OnValidatePrincipal = AdminSessionStamp.ValidateAsync;
            });

        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeyStore>((options, store) => options.ConfigurationManager = new OwnKeysConfigurationManager(store));

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.AdminApi, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireRole(IotRoles.Admin))
            .AddPolicy(AuthPolicies.AdminPages, policy => policy
                .AddAuthenticationSchemes(AuthPolicies.AdminCookieScheme)
                .RequireRole(IotRoles.Admin));

        return builder;
    }
}
