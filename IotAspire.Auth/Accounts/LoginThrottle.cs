namespace IotAspire.Auth.Accounts;

/// <summary>Failed sign-ins for one username within the current window, known or not (so that the
/// response never tells whether the user exists).</summary>
public sealed class LoginThrottle
{
    public required string NormalizedUserName { get; set; }
    public int Failures { get; set; }
    public DateTimeOffset WindowStartedAt { get; set; }
}
