namespace IotAspire.Shared.Security;

/// <summary>The two roles a user can have (the token service writes them into the <c>role</c> claim), and a device's.</summary>
public static class IotRoles
{
    /// <summary>Manages users and sees every customer's devices.</summary>
    public const string Admin = "admin";

    /// <summary>Sees and writes only its own customer's devices.</summary>
    public const string Customer = "customer";

    /// <summary>
    /// Not a user's role: the API gives it to a caller that signs in with a device token, which may only send
    /// that device's readings.
    /// </summary>
    public const string Device = "device";

    /// <summary>Whether a user account may have this role (a device token is not an account).</summary>
    public static bool IsKnown(string? role) => role is Admin or Customer;
}
