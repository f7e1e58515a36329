namespace IotAspire;

/// <summary>
/// Aspire resource names. A service finds its connection string (<c>ConnectionStrings:readings</c>) and its
/// peers (<c>http://auth</c>) by these names, so the AppHost and the services must spell them the same way.
/// </summary>
public static class ResourceNames
{
    public const string Postgres = "postgres";
    public const string ReadingsDatabase = "readings";
    public const string AccountsDatabase = "accounts";

    /// <summary>The logins services connect with (<see cref="DatabaseRoles"/>), never the superuser.</summary>
    public const string ApiDatabaseLogin = "api-db-login";
    public const string AuthDatabaseLogin = "auth-db-login";
    public const string GrafanaDatabaseLogin = "grafana-db-login";
    public const string Auth = "auth";
    public const string Api = "api";
    public const string Grafana = "grafana";
    public const string Simulator = "simulator";
}
