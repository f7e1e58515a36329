using System.ComponentModel.DataAnnotations;
using IotAspire.Auth.Accounts;

namespace IotAspire.Auth.Users;

/// <summary>
/// The accounts the AppHost asks for (<see cref="AccountBootstrap"/>): its <c>admin-username</c> and
/// <c>admin-password</c> parameters, and, when it runs the simulator, the demo customer with the
/// <c>simulator-password</c> parameter. Configured as <c>Bootstrap:*</c>; checked at start.
/// </summary>
public sealed class BootstrapOptions
{
    public const string Section = "Bootstrap";

    [Required, MaxLength(UserAccount.MaxUserNameLength)]
    public string AdminUsername { get; set; } = "admin";

    /// <summary>No administrator is created without it (the password policy applies when one is).</summary>
    public string? AdminPassword { get; set; }

    [Required, MaxLength(UserAccount.MaxUserNameLength)]
    public string DemoCustomerUsername { get; set; } = "demo-customer";

    /// <summary>No demo customer is provisioned without it.</summary>
    public string? DemoCustomerPassword { get; set; }

    public Guid? DemoCustomerId { get; set; }
}
