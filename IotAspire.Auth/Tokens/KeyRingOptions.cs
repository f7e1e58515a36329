namespace IotAspire.Auth.Tokens;

/// <summary>Configured under <c>KeyRing</c>; the AppHost sets it (see its <c>Auth:KeyRingDirectory</c>).</summary>
public sealed class KeyRingOptions
{
    public const string Section = "KeyRing";

    /// <summary>The Data Protection application name: keys protected under another name cannot be read.</summary>
    public const string ApplicationName = "IotAspire.Auth";

    /// <summary>
    /// Where the Data Protection key ring lives: outside the database, readable only by this service, kept
    /// between restarts (and shared by replicas). Empty: ASP.NET Core's per-user default.
    /// </summary>
    public string? Directory { get; set; }
}
