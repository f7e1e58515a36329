namespace IotAspire.Auth.Accounts;

/// <summary>
/// Sign-in attempts within the current window for one key: a username from one client address, or a
/// username from all addresses, known or not (so that the response never tells whether the user exists).
/// The key is a hash (<see cref="LoginThrottling"/>); the column keeps its first name.
/// </summary>
public sealed class LoginThrottle
{
    public required string NormalizedUserName { get; set; }
    public int Failures { get; set; }
    public DateTimeOffset WindowStartedAt { get; set; }
}
