using IotAspire.Hosting.LocalPostgres;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static class PostgresWithLocalFallbackExtensions
{
    /// <summary>
    /// PostgreSQL as <c>Postgres:Mode</c> and the machine allow (<see cref="PostgresHostingPlan"/>): Aspire's
    /// container with a data volume where a container runtime answers, otherwise the local server binaries
    /// with a data directory kept between runs (<see cref="LocalPostgresDataDirectory"/>). The choice and its
    /// reason are logged at start.
    /// </summary>
    public static PostgresWithLocalFallback AddPostgresWithLocalFallback(this IDistributedApplicationBuilder builder, string name)
    {
        var plan = PostgresHostingPlan.FromConfiguration(builder.Configuration);
        builder.LogOnStart(LogLevel.Information, $"PostgreSQL runs {(plan.UsesContainers ? "in a container" : "from local binaries")}: {plan.Reason}.");
        if (plan.Citus is { } citus)
        {
            return builder.AddCitusCluster(name, plan, citus);
        }

        if (plan.UsesContainers)
        {
            var container = builder.AddPostgres(name).WithDataVolume();
            return new(container, plan, (database, _) => container.AddDatabase(database));
        }

        var dataDirectory = LocalPostgresDataDirectory.Resolve(builder.Configuration, plan.Binaries!.MajorVersion);
        builder.LogOnStart(LogLevel.Information, $"PostgreSQL {plan.Binaries.MajorVersion} keeps its data in {dataDirectory}.");
        var local = builder.AddLocalPostgres(name, plan.Binaries, dataDirectory);
        return new(local, plan, (database, _) => local.AddDatabase(database));
    }
}
