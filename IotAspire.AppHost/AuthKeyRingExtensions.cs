using IotAspire.Hosting.LocalPostgres;

namespace IotAspire.AppHost;

public static class AuthKeyRingExtensions
{
    /// <summary>
    /// Where the token service keeps the Data Protection key ring that encrypts its signing keys:
    /// <c>Auth:KeyRingDirectory</c>, or a per-user folder beside the local PostgreSQL data. Outside the
    /// database on purpose: a copy of the database alone cannot sign tokens.
    /// </summary>
    public static string GetAuthKeyRingDirectory(this IDistributedApplicationBuilder builder) =>
        builder.Configuration["Auth:KeyRingDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(LocalPostgresDataDirectory.PerUserRoot("iotaspire"), "auth-keys");
}
