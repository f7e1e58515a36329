using Aspire.Hosting.ApplicationModel;
using IotAspire.Hosting.LocalPostgres;
using Npgsql;

namespace Aspire.Hosting;

/// <summary>
/// Marks a database of a Citus coordinator as distributed: before it is declared ready, it exists on every
/// worker with the <c>citus</c> extension, and the coordinator knows the workers (<see cref="RegisterAsync"/>).
/// Its logins get the coordinator's credentials for the workers (<see cref="CitusSql.AuthInfo"/>).
/// </summary>
public sealed class CitusDatabaseAnnotation(CitusNode coordinator, IReadOnlyList<CitusNode> workers, ParameterResource superuserPassword)
    : IResourceAnnotation
{
    public CitusNode Coordinator { get; } = coordinator;

    public IReadOnlyList<CitusNode> Workers { get; } = workers;

    /// <summary>Creates the database and the extension on every worker, then registers the coordinator and the
    /// workers in it; every step is idempotent, so it runs on every start (a worker's port may have changed).</summary>
    public async Task RegisterAsync(IResourceWithConnectionString database, CancellationToken ct)
    {
        var databaseName = database switch
        {
            LocalPostgresDatabaseResource local => local.DatabaseName,
            PostgresDatabaseResource container => container.DatabaseName,
            _ => throw new ArgumentException($"'{database.Name}' is not a PostgreSQL database.", nameof(database)),
        };
        var password = await superuserPassword.GetValueAsync(ct)
            ?? throw new InvalidOperationException($"The parameter '{superuserPassword.Name}' has no value.");

        foreach (var worker in Workers)
        {
            var server = await worker.Server.ConnectionStringExpression.GetValueAsync(ct);
            await using (var connection = new NpgsqlConnection(server))
            {
                await connection.OpenAsync(ct);
                await LocalPostgresBuilderExtensions.CreateDatabaseIfMissingAsync(connection, databaseName, ct);
            }

            await using var workerDatabase = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = databaseName }.ConnectionString);
            await workerDatabase.OpenAsync(ct);
            await ExecuteAsync(workerDatabase, CitusSql.CreateExtension, ct);
        }

        // The workers reach each other and the coordinator too (their maintenance daemons, 2PC recovery).
        await WriteAuthInfoOnWorkersAsync(databaseName, LocalPostgresServerResource.SuperUser, password, ct);

        await using var coordinatorDatabase = new NpgsqlConnection(await database.ConnectionStringExpression.GetValueAsync(ct));
        await coordinatorDatabase.OpenAsync(ct);
        await ExecuteAsync(coordinatorDatabase, CitusSql.CreateExtension, ct);
        // The coordinator reaches the workers as the superuser for its own work (metadata, shard placement).
        await ExecuteAsync(coordinatorDatabase, CitusSql.AuthInfo(LocalPostgresServerResource.SuperUser, password), ct);
        var (host, port) = await Coordinator.AddressAsync(ct);
        var registered = await CitusSql.ReadWorkersAsync(coordinatorDatabase, ct);
        if (registered.Count == 0)
        {
            await ExecuteAsync(coordinatorDatabase, CitusSql.SetCoordinatorHost(host, port), ct);   // first start: workers learn it as they are added
        }

        if (registered.Count > Workers.Count)
        {
            throw new InvalidOperationException(
                $"The Citus cluster in '{databaseName}' has {registered.Count} workers registered, but Postgres:CitusWorkers is {Workers.Count}. "
                + "Move the shards off a worker first (SELECT citus_drain_node(...)), then remove it (citus_remove_node), or raise Postgres:CitusWorkers.");
        }

        // Worker i is the i-th registered (they are added in order on the first start): a new port updates it.
        var moved = false;
        for (var i = 0; i < Workers.Count; i++)
        {
            var (workerHost, workerPort) = await Workers[i].AddressAsync(ct);
            var sql = i < registered.Count
                ? registered[i].Host == workerHost && registered[i].Port == workerPort ? null : CitusSql.UpdateNode(registered[i].NodeId, workerHost, workerPort)
                : CitusSql.AddNode(workerHost, workerPort);
            if (sql is not null)
            {
                await ExecuteAsync(coordinatorDatabase, sql, ct);
                moved |= i < registered.Count;
            }
        }

        if (registered.Count > 0)
        {
            // Started again, maybe on other ports (Aspire's testing builder gives new ones every start): setting the
            // coordinator's address syncs the metadata to every worker, and fails while one is registered at an
            // address that no longer answers. So the workers' addresses first, synced to all, then its own.
            if (moved)
            {
                await ExecuteAsync(coordinatorDatabase, CitusSql.SyncMetadataToAllNodes, ct);
            }

            await ExecuteAsync(coordinatorDatabase, CitusSql.SetCoordinatorHost(host, port), ct);
        }

        // Last: Citus runs CREATE EXTENSION on every registered worker too, so only once they answer where registered.
        await ExecuteAsync(coordinatorDatabase, CitusSql.CreateStatementStatistics, ct);
    }

    /// <summary>
    /// <see cref="CitusSql.AuthInfo"/> in every worker's copy of the database: Citus does not copy rows written
    /// to <c>pg_dist_authinfo</c> after a node was added, and a worker connects to the other nodes as well.
    /// </summary>
    public async Task WriteAuthInfoOnWorkersAsync(string databaseName, string role, string password, CancellationToken ct)
    {
        foreach (var worker in Workers)
        {
            var server = await worker.Server.ConnectionStringExpression.GetValueAsync(ct);
            await using var workerDatabase = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = databaseName }.ConnectionString);
            await workerDatabase.OpenAsync(ct);
            await ExecuteAsync(workerDatabase, CitusSql.AuthInfo(role, password), ct);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>
/// One server of a Citus cluster: its superuser connection (for the AppHost) and the address the other
/// nodes reach it at (the AppHost's view for local servers; the container network's name and port for containers).
/// </summary>
public sealed class CitusNode(IResourceWithConnectionString server, Func<CancellationToken, ValueTask<(string Host, int Port)>> address)
{
    public IResourceWithConnectionString Server { get; } = server;

    public ValueTask<(string Host, int Port)> AddressAsync(CancellationToken ct) => address(ct);
}
