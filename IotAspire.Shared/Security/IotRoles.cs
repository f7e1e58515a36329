namespace IotAspire.Shared.Security;

/// <summary>The two roles a user can have; the token service writes them into the <c>role</c> claim.</summary>
public static class IotRoles
{
    /// <summary>Manages users and sees every customer's devices.</summary>
    public const string Admin = "admin";

    /// <summary>Sees and writes only its own customer's devices.</summary>
    public const string Customer = "customer";

    public static bool IsKnown(string? role) => role is Admin or Customer;
}
