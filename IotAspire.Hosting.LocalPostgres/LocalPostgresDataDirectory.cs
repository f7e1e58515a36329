using Microsoft.Extensions.Configuration;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>
/// Where the local server keeps its data between runs: <c>Postgres:DataDirectory</c> when set, otherwise
/// a per-user folder, one per PostgreSQL major version (a data directory cannot be read by another major).
/// </summary>
public static class LocalPostgresDataDirectory
{
    public static string Resolve(IConfiguration configuration, int majorVersion)
    {
        var configured = configuration["Postgres:DataDirectory"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        return Path.Combine(PerUserRoot("iotaspire"), "postgres", majorVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Where a local Citus cluster keeps its nodes' data (<c>coordinator</c>, <c>worker-N</c> below it):
    /// <c>Postgres:DataDirectory</c> when set, otherwise beside the single server's, so switching modes loses neither.
    /// </summary>
    public static string ResolveCitus(IConfiguration configuration, int majorVersion) =>
        string.IsNullOrWhiteSpace(configuration["Postgres:DataDirectory"])
            ? Resolve(configuration, majorVersion) + "-citus"
            : Resolve(configuration, majorVersion);

    /// <summary>
    /// Where an app keeps data of its own between runs: the user's local application data, or
    /// <c>/var/lib/{app}</c> as root (the server runs as the postgres user, which cannot enter root's home).
    /// </summary>
    public static string PerUserRoot(string app) => Path.Combine(
        Environment.UserName == "root"
            ? "/var/lib"
            : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
        app);
}
