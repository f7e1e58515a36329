using Aspire.Hosting.ApplicationModel;
using IotAspire.Hosting.LocalPostgres;

namespace Aspire.Hosting;

/// <summary>
/// The PostgreSQL server an app runs, whichever way <see cref="Plan"/> chose, and a way to add databases
/// to it: services reference and wait for them the same way in both cases.
/// </summary>
public sealed class PostgresWithLocalFallback
{
    private readonly Func<string, IResourceBuilder<IResourceWithConnectionString>> addDatabase;

    internal PostgresWithLocalFallback(
        IResourceBuilder<IResourceWithConnectionString> server, PostgresHostingPlan plan,
        Func<string, IResourceBuilder<IResourceWithConnectionString>> addDatabase)
    {
        Server = server;
        Plan = plan;
        this.addDatabase = addDatabase;
    }

    public IResourceBuilder<IResourceWithConnectionString> Server { get; }

    public PostgresHostingPlan Plan { get; }

    /// <summary>A database on this server, created at start if missing; healthy once it accepts connections.</summary>
    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) => addDatabase(name);
}
