using System.Security.Claims;
using IotAspire.Shared.Security;

namespace IotAspire.Api.Security;

/// <summary>Who is calling, read from a validated access token or device token.</summary>
public sealed record Caller(string UserName, string Role, Guid? CustomerId, Guid? DeviceId = null)
{
    public bool IsAdmin => Role == IotRoles.Admin;

    /// <summary>A device token: it may send its own device's readings and nothing else.</summary>
    public bool IsDevice => Role == IotRoles.Device;

    public static Caller From(ClaimsPrincipal principal) => new(
        principal.FindFirstValue(IotClaimTypes.Name) ?? "",
        principal.FindFirstValue(IotClaimTypes.Role) ?? "",
        Guid.TryParse(principal.FindFirstValue(IotClaimTypes.CustomerId), out var customerId) ? customerId : null,
        Guid.TryParse(principal.FindFirstValue(IotClaimTypes.DeviceId), out var deviceId) ? deviceId : null);
}
