using System.ComponentModel.DataAnnotations;

namespace IotAspire.Auth.Accounts;

/// <summary>Configured under <c>LoginThrottling</c> in appsettings.json; checked at start.</summary>
public sealed class LoginThrottlingOptions
{
    public const string Section = "LoginThrottling";

    [Range(1, 1_000)]
    public int MaxFailures { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
}
