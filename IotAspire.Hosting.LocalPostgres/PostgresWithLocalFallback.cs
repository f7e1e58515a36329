using Aspire.Hosting.ApplicationModel;
using IotAspire.Hosting.LocalPostgres;

namespace Aspire.Hosting;

/// <summary>
/// The PostgreSQL server an app runs, whichever way <see cref="Plan"/> chose, and a way to add databases
/// to it: services reference and wait for them the same way in both cases.
/// </summary>
public sealed class PostgresWithLocalFallback
{
    private readonly Func<string, bool, IResourceBuilder<IResourceWithConnectionString>> addDatabase;

    internal PostgresWithLocalFallback(
        IResourceBuilder<IResourceWithConnectionString> server, PostgresHostingPlan plan,
        Func<string, bool, IResourceBuilder<IResourceWithConnectionString>> addDatabase)
    {
        Server = server;
        Plan = plan;
        this.addDatabase = addDatabase;
    }

    public IResourceBuilder<IResourceWithConnectionString> Server { get; }

    public PostgresHostingPlan Plan { get; }

    /// <summary>A database on this server, created at start if missing; healthy once it accepts connections.</summary>
    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) => addDatabase(name, false);

    /// <summary>
    /// A database whose tables may be distributed: on a Citus cluster (<see cref="PostgresHostingPlan.Citus"/>) it
    /// has the <c>citus</c> extension on the coordinator and every worker, with the workers registered, before it
    /// is ready; on a single server it is an ordinary database.
    /// </summary>
    public IResourceBuilder<IResourceWithConnectionString> AddDistributedDatabase(string name) => addDatabase(name, true);
}
