using IotAspire.Auth.Security;
using IotAspire.Auth.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace IotAspire.Auth.Pages.Admin;

/// <summary>
/// The operators' page (it replaces the original system's Django admin): list users, create one with a
/// customer id, activate or deactivate, reset a password. Razor Pages check the antiforgery token of
/// every POST, and the cookie is SameSite=Strict, so other sites cannot post here in an admin's name.
/// </summary>
public sealed class IndexModel(UserDirectory directory) : PageModel
{
    public IReadOnlyList<UserView> Users { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Users = (await directory.ListAsync(ct)).Select(UserView.From).ToList();

    public async Task<IActionResult> OnPostCreateAsync(string? username, string? password, string? role, string? customerId, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(customerId) && !Guid.TryParse(customerId, out _))
        {
            return Done(error: $"The customer id '{customerId}' is not a UUID.");
        }

        var parsedCustomerId = Guid.TryParse(customerId, out var id) ? id : (Guid?)null;
        var result = await directory.CreateAsync(new CreateUserRequest(username, password, parsedCustomerId, role), ct);
        return Report(result, $"Created user '{username?.Trim()}'.");
    }

    public async Task<IActionResult> OnPostSetActiveAsync(string username, bool active, CancellationToken ct) =>
        Report(await directory.UpdateAsync(username, new UpdateUserRequest(active, null, null, null), ct),
            $"User '{username}' is now {(active ? "active" : "inactive")}.");

    public async Task<IActionResult> OnPostResetPasswordAsync(string username, string? password, CancellationToken ct) =>
        Report(await directory.UpdateAsync(username, new UpdateUserRequest(null, password ?? "", null, null), ct),
            $"The password of '{username}' was reset; their sessions were ended.");

    public async Task<IActionResult> OnPostLogoutAsync()
    {
        await HttpContext.SignOutAsync(AuthPolicies.AdminCookieScheme);
        return Redirect("/admin/login");
    }

    private RedirectToPageResult Report(UserChangeResult result, string success) => result switch
    {
        UserChangeResult.Done => Done(message: success),
        UserChangeResult.Invalid(var errors) => Done(error: string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))),
        UserChangeResult.Conflict(var message) => Done(error: message),
        _ => Done(error: "There is no such user."),
    };

    // Post/Redirect/Get: a browser refresh does not post the form again.
    private RedirectToPageResult Done(string? message = null, string? error = null)
    {
        TempData["Message"] = message;
        TempData["Error"] = error;
        return RedirectToPage();
    }
}
