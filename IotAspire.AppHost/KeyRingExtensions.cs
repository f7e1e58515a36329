using IotAspire.Hosting.LocalPostgres;

namespace IotAspire.AppHost;

public static class KeyRingExtensions
{
    /// <summary>
    /// Where a service keeps the Data Protection key ring that encrypts its secrets at rest (the token service's signing
    /// keys, the API's webhook secrets): <c>{service}:KeyRingDirectory</c>, or a per-user folder beside the local
    /// PostgreSQL data (<c>auth-keys</c>, <c>api-keys</c>). Outside the database on purpose: a copy of the database
    /// alone cannot sign tokens or webhooks.
    /// </summary>
    public static string GetKeyRingDirectory(this IDistributedApplicationBuilder builder, string service) =>
        builder.Configuration[$"{service}:KeyRingDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(LocalPostgresDataDirectory.PerUserRoot("iotaspire"), $"{service.ToLowerInvariant()}-keys");
}
