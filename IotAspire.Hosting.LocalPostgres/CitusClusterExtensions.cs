using Aspire.Hosting.ApplicationModel;
using IotAspire.Hosting.LocalPostgres;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static class CitusClusterExtensions
{
    /// <summary>
    /// Server settings of every Citus node: the extension must be preloaded; logical WAL lets
    /// <c>citus_rebalance_start</c> move shards without blocking writes; a node that does not answer within 5 s is
    /// down (Citus waits 30 s by default, longer than a client waits for its answer), so that a statement for a
    /// stopped worker's customer fails in seconds with an error the API names as retryable.
    /// </summary>
    // pg_stat_statements and citus.stat_statements_track: citus_stat_statements on the coordinator says, per statement,
    // whether it was routed to one customer's shards (its partition_key) or ran on every shard: what an operator
    // watches on a multi-tenant cluster, and what the tests check the API's statements by.
    // max_prepared_transactions: what Citus sets on its own (twice max_connections), named so that the launcher passes it
    // to single-user mode too, which replays prepared two-phase commits after a node stopped mid-commit.
    private static readonly string[] CitusSettings =
        ["shared_preload_libraries=citus,pg_stat_statements", "citus.stat_statements_track=all", "wal_level=logical", "citus.node_connection_timeout=5000",
         "max_prepared_transactions=200"];

    // The same settings for the image's postgres command.
    private static string[] ServerArguments(IEnumerable<string> settings) => [.. settings.SelectMany(setting => new[] { "-c", setting })];

    /// <summary>
    /// A Citus cluster: the coordinator <paramref name="name"/>, which services connect to, and the workers
    /// <c>{name}-worker-N</c>, each a resource with its own health check, started first. From local binaries
    /// with Citus installed (each node a server with its own data directory), or from the Citus image where a
    /// container runtime answers. The superuser's password is one parameter, <c>{name}-password</c>, for all.
    /// </summary>
    internal static PostgresWithLocalFallback AddCitusCluster(this IDistributedApplicationBuilder builder, string name,
        PostgresHostingPlan plan, CitusTopology topology)
    {
        string[] coordinatorSettings = [.. CitusSettings, .. topology.LogMultiShardStatements ? CitusTopology.MultiShardLogSettings : []];
        var password = builder.AddParameter($"{name}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);

        if (plan.UsesContainers)
        {
            // Not run on the machines this project is built on (no container engine): the same registration
            // as the local cluster, with the nodes reaching each other by resource name on the container network.
            var workerContainers = Enumerable.Range(1, topology.Workers)
                .Select(i => builder.AddPostgres(CitusTopology.WorkerName(name, i), password: password)
                    .WithImage(CitusTopology.Image, CitusTopology.ImageTag).WithDataVolume().WithArgs(ServerArguments(CitusSettings)))
                .ToList();
            var coordinatorContainer = builder.AddPostgres(name, password: password)
                .WithImage(CitusTopology.Image, CitusTopology.ImageTag).WithDataVolume().WithArgs(ServerArguments(coordinatorSettings));
            workerContainers.ForEach(worker => coordinatorContainer.WaitFor(worker));
            var containerNodes = workerContainers.Select(w => ContainerNode(w.Resource)).ToList();
            return new(coordinatorContainer, plan, (database, distributed) =>
            {
                var added = coordinatorContainer.AddDatabase(database);
                if (distributed)
                {
                    var citus = new CitusDatabaseAnnotation(ContainerNode(coordinatorContainer.Resource), containerNodes, password.Resource);
                    added.WithAnnotation(citus);
                    builder.Eventing.Subscribe<ResourceReadyEvent>(added.Resource, (_, ct) => citus.RegisterAsync(added.Resource, ct));
                }

                return added;
            });
        }

        var root = LocalPostgresDataDirectory.ResolveCitus(builder.Configuration, plan.Binaries!.MajorVersion);
        builder.LogOnStart(LogLevel.Information, $"The Citus nodes keep their data in {root}/coordinator and {root}/worker-N, and listen on the same ports every start ({root}/{CitusNodePorts.FileName}).");
        var ports = CitusNodePorts.LoadOrChoose(root, ["coordinator", .. Enumerable.Range(1, topology.Workers).Select(i => $"worker-{i}")]);
        var workers = Enumerable.Range(1, topology.Workers)
            .Select(i => builder.AddLocalPostgres(CitusTopology.WorkerName(name, i), plan.Binaries, Path.Combine(root, $"worker-{i}"), password.Resource, CitusSettings)
                .WithEndpoint(LocalPostgresServerResource.EndpointName, endpoint => endpoint.Port = ports[$"worker-{i}"]))
            .ToList();
        var coordinator = builder.AddLocalPostgres(name, plan.Binaries, Path.Combine(root, "coordinator"), password.Resource, coordinatorSettings)
            .WithEndpoint(LocalPostgresServerResource.EndpointName, endpoint => endpoint.Port = ports["coordinator"]);
        foreach (var worker in workers)
        {
            coordinator.WaitFor(worker);   // registered on the coordinator's first start, so they must answer first
            worker.WithParentRelationship(coordinator);
        }

        var nodes = workers.Select(w => LocalNode(w.Resource)).ToList();
        return new(coordinator, plan, (database, distributed) =>
        {
            var added = coordinator.AddDatabase(database);
            return distributed ? added.WithAnnotation(new CitusDatabaseAnnotation(LocalNode(coordinator.Resource), nodes, password.Resource)) : added;
        });
    }

    /// <summary>A local node as the others reach it: the address the AppHost gave its endpoint.</summary>
    private static CitusNode LocalNode(LocalPostgresServerResource server) =>
        new(server, _ => ValueTask.FromResult((server.PrimaryEndpoint.Host, server.PrimaryEndpoint.Port)));

    /// <summary>A container node as the others reach it: its resource name and PostgreSQL's own port, on the container network.</summary>
    private static CitusNode ContainerNode(PostgresServerResource server) =>
        new(server, _ => ValueTask.FromResult((server.Name, 5432)));
}
