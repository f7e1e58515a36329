using System.Globalization;
using Npgsql;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>The statements that make a database a Citus cluster's; every one is idempotent.</summary>
public static class CitusSql
{
    public const string CreateExtension = "CREATE EXTENSION IF NOT EXISTS citus";

    /// <summary>On the coordinator, for <c>citus_stat_statements</c> (which reads it).</summary>
    public const string CreateStatementStatistics = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements";

    /// <summary>Syncs the coordinator's metadata (the nodes' addresses among it) to every worker now.</summary>
    public const string SyncMetadataToAllNodes = "SELECT start_metadata_sync_to_all_nodes()";

    public static string SetCoordinatorHost(string host, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"SELECT citus_set_coordinator_host({Literal(host)}, {port})");

    public static string AddNode(string host, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"SELECT citus_add_node({Literal(host)}, {port})");

    public static string UpdateNode(int nodeId, string host, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"SELECT citus_update_node({nodeId}, {Literal(host)}, {port})");

    /// <summary>
    /// How the coordinator authenticates as <paramref name="role"/> on every worker (node 0 is "all nodes"):
    /// Citus's <c>pg_dist_authinfo</c>, readable by superusers only. The workers check passwords like any server
    /// (SCRAM), so a local user cannot bypass the coordinator; Citus copies each role's verifier to them.
    /// </summary>
    public static string AuthInfo(string role, string password) => $"""
        DELETE FROM pg_dist_authinfo WHERE nodeid = 0 AND rolename = {Literal(role)};
        INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, {Literal(role)}, {Literal("password=" + ConninfoValue(password))});
        """;

    public static async Task<IReadOnlyList<(int NodeId, string Host, int Port)>> ReadWorkersAsync(NpgsqlConnection coordinator, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT nodeid, nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeid", coordinator);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var workers = new List<(int, string, int)>();
        while (await reader.ReadAsync(ct))
        {
            workers.Add((reader.GetInt32(0), reader.GetString(1), reader.GetInt32(2)));
        }

        return workers;
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A libpq connection-string value: quoted, with quotes and backslashes escaped.</summary>
    private static string ConninfoValue(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
