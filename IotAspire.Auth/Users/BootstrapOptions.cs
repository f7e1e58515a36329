using System.ComponentModel.DataAnnotations;
using IotAspire.Auth.Accounts;

namespace IotAspire.Auth.Users;

/// <summary>The AppHost's <c>admin-username</c> and <c>admin-password</c> parameters, as <c>Bootstrap:*</c>; checked at start.</summary>
public sealed class BootstrapOptions
{
    public const string Section = "Bootstrap";

    [Required, MaxLength(UserAccount.MaxUserNameLength)]
    public string AdminUsername { get; set; } = "admin";

    /// <summary>No administrator is created without it (the password policy applies when one is).</summary>
    public string? AdminPassword { get; set; }
}
