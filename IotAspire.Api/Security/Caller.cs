using System.Security.Claims;
using IotAspire.Shared.Security;

namespace IotAspire.Api.Security;

/// <summary>Who is calling, read from a validated access token.</summary>
public sealed record Caller(string UserName, string Role, Guid? CustomerId)
{
    public bool IsAdmin => Role == IotRoles.Admin;

    public static Caller From(ClaimsPrincipal principal) => new(
        principal.FindFirstValue(IotClaimTypes.Name) ?? "",
        principal.FindFirstValue(IotClaimTypes.Role) ?? "",
        Guid.TryParse(principal.FindFirstValue(IotClaimTypes.CustomerId), out var customerId) ? customerId : null);
}
