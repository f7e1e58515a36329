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

    /// <summary>Failures for one username from all client addresses together: bounds a distributed guess.</summary>
    [Range(1, 100_000)]
    public int MaxFailuresFromAllAddresses { get; set; } = 100;

    /// <summary>
    /// Requests to the sign-in endpoints one client address may make (ASP.NET Core's rate limiter, a token
    /// bucket): a burst of <see cref="ClientBurst"/>, refilled at <see cref="ClientRequestsPerSecond"/>.
    /// </summary>
    [Range(1, 1_000_000)]
    public int ClientBurst { get; set; } = 60;

    [Range(1, 100_000)]
    public int ClientRequestsPerSecond { get; set; } = 5;
}
