using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Scaling;

/// <summary>The tests' view of the Citus cluster: which worker holds which customer.</summary>
public static class CitusCluster
{
    /// <summary>A worker resource, its data directory, and a new customer id whose shards Citus's hash puts on it.</summary>
    public sealed record WorkerCustomer(string WorkerResource, int Port, string DataDirectory, Guid Customer, long ReadingsShard);

    /// <summary>For each worker, in resource order, a fresh customer id that lands on it.</summary>
    public static async Task<IReadOnlyList<WorkerCustomer>> CustomerPerWorkerAsync(RunningAppHost appHost, NpgsqlDataSource coordinator)
    {
        var workers = new List<(string Resource, int Port)>();
        for (var i = 1; i <= CitusAppHostFixture.Workers; i++)
        {
            var resource = $"{ResourceNames.Postgres}-worker-{i}";
            workers.Add((resource, new NpgsqlConnectionStringBuilder(await appHost.ConnectionStringAsync(resource)).Port));
        }

        var found = new Dictionary<int, (Guid Customer, long Shard)>();
        while (found.Count < workers.Count)
        {
            var candidate = Guid.NewGuid();
            var placement = (await Sql.ListAsync(coordinator,
                "SELECT shardid, nodeport FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column('readings', $1)",
                r => (Shard: r.GetInt64(0), Port: r.GetInt32(1)), candidate))[0];
            found.TryAdd(placement.Port, (candidate, placement.Shard));
        }

        return [.. workers.Select((w, i) => new WorkerCustomer(w.Resource, w.Port, Path.Combine(appHost.DataDirectory, $"worker-{i + 1}"),
            found[w.Port].Customer, found[w.Port].Shard))];
    }
}
