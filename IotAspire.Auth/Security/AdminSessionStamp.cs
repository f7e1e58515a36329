using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using IotAspire.Auth.Accounts;
using IotAspire.Auth.Data;
using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace IotAspire.Auth.Security;

/// <summary>
/// Ends an admin page session as soon as its account changes: the cookie carries a stamp of the account
/// (id, role, active, password hash), and every request compares it with the account as it is now. So a
/// deactivated, deleted or demoted administrator, or one whose password was reset, is signed out on the
/// next click, not when the sliding cookie would have expired. One indexed lookup per admin page request.
/// </summary>
public static class AdminSessionStamp
{
    public const string ClaimType = "iotaspire_session_stamp";

    /// <summary>The identity an administrator's cookie carries.</summary>
    public static ClaimsPrincipal Principal(UserAccount user) => new(new ClaimsIdentity(
        [
            new Claim(IotClaimTypes.Subject, user.Id.ToString()),
            new Claim(IotClaimTypes.Name, user.UserName),
            new Claim(IotClaimTypes.Role, user.Role),
            new Claim(ClaimType, Of(user)),
        ],
        AuthPolicies.AdminCookieScheme, IotClaimTypes.Name, IotClaimTypes.Role));

    /// <summary>Changes whenever anything that grants the session changes. Derived, so it needs no column
    /// and no code path can forget to renew it.</summary>
    public static string Of(UserAccount user) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
        $"{user.Id}|{user.Role}|{user.IsActive}|{user.PasswordHash}")));

    /// <summary>The cookie's <c>OnValidatePrincipal</c>: rejects the cookie unless the stamp still matches.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var stamp = principal?.FindFirstValue(ClaimType);
        var valid = Guid.TryParse(principal?.FindFirstValue(IotClaimTypes.Subject), out var userId) && stamp is not null
            && await context.HttpContext.RequestServices.GetRequiredService<AccountsDbContext>().Users.AsNoTracking()
                .SingleOrDefaultAsync(u => u.Id == userId, context.HttpContext.RequestAborted) is { IsActive: true, Role: IotRoles.Admin } user
            && Of(user) == stamp;

        if (!valid)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AuthPolicies.AdminCookieScheme);
        }
    }
}
