using IotAspire.Auth.Accounts;
using IotAspire.Auth.Security;
using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace IotAspire.Auth.Pages.Admin;

/// <summary>Signs an administrator in with the same throttled credential check as the token endpoint.</summary>
[EnableRateLimiting(SignInRateLimit.Policy)]
public sealed class LoginModel(CredentialCheck credentials) : PageModel
{
    [BindProperty]
    public string? Username { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnPostAsync(string? returnUrl, CancellationToken ct)
    {
        switch (await credentials.SignInAsync(Username, Password, ClientAddress.Of(HttpContext), ct))
        {
            case CredentialCheckResult.Succeeded(var user) when user.Role == IotRoles.Admin:
                await HttpContext.SignInAsync(AuthPolicies.AdminCookieScheme, AdminSessionStamp.Principal(user));
                return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/admin");

            case CredentialCheckResult.Succeeded:
                Error = "This page is for administrators only.";
                break;

            case CredentialCheckResult.LockedOut(var wait):
                Error = $"Too many failed sign-in attempts for this username. Try again in {Math.Ceiling(wait.TotalMinutes)} minute(s).";
                break;

            default:
                Error = "Wrong username or password, or the account is inactive.";
                break;
        }

        return Page();
    }
}
