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

        // As root the server runs as the postgres user, which cannot enter root's home folder.
        var root = Environment.UserName == "root"
            ? "/var/lib"
            : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);

        return Path.Combine(root, "iotaspire", "postgres", majorVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
