using IotAspire.Auth.Accounts;
using IotAspire.Auth.Data;
using IotAspire.Auth.Security;
using IotAspire.Auth.Tokens;
using IotAspire.Auth.Users;
using IotAspire.Shared.Security;

namespace IotAspire.Auth;

/// <summary>The token service's composition root: every service it registers and every endpoint it maps, top to bottom.</summary>
public static class TokenServiceExtensions
{
    public static IHostApplicationBuilder AddTokenService(this IHostApplicationBuilder builder)
    {
        builder.AddAccountsDatabase(ResourceNames.AccountsDatabase);   // migrated before requests
        builder.AddAccounts();
        builder.AddTokens();
        builder.AddUsers();                                             // after the migration: creates the first administrator
        builder.AddTokenServiceAuthentication();                       // Bearer tokens for REST, a cookie for the admin pages
        builder.AddFailedTokenThrottle();                               // per address: 429 after too many bad tokens
        builder.Services.AddProblemDetails();
        builder.Services.AddRazorPages(options => options.Conventions
            .AuthorizeFolder("/Admin", AuthPolicies.AdminPages)
            .AllowAnonymousToPage("/Admin/Login"));
        return builder;
    }

    public static WebApplication MapTokenService(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Routing inside the handler, so a fault while matching a request gets our answer too; before the
        // rate limiter, which reads the endpoint's policy.
        app.UseRouting();
        app.UseRateLimiter();
        app.UseFailedTokenThrottle();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapTokenEndpoints();
        app.MapKeyEndpoints();
        app.MapUserEndpoints();
        app.MapRazorPages();
        return app;
    }
}
