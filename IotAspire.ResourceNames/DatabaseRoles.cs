namespace IotAspire;

/// <summary>
/// PostgreSQL login roles. The AppHost creates them (as the superuser, the only thing it is used for) and each
/// service connects as its own; the API also names Grafana's role when it grants it the tables it may read.
/// </summary>
public static class DatabaseRoles
{
    /// <summary>Owns the <c>readings</c> database: the API migrates and writes it.</summary>
    public const string Api = "iotaspire_api";

    /// <summary>Owns the <c>accounts</c> database: the token service migrates and writes it.</summary>
    public const string Auth = "iotaspire_auth";

    /// <summary>Grafana's login: may read <c>readings</c> and <c>devices</c>, nothing else.</summary>
    public const string GrafanaReader = "grafana_reader";
}
