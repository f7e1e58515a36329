using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IotAspire.Shared.Data;

public static class ServiceDatabaseExtensions
{
    /// <summary>
    /// Registers a service's own database through Aspire's Npgsql EF Core integration (connection string
    /// by resource name, tracing, retries), its health check (<see cref="DatabaseHealthCheck"/>, bounded; Aspire's
    /// own waits out the retry strategy), and applies its pending migrations before the service takes requests.
    /// </summary>
    public static IHostApplicationBuilder AddMigratedNpgsqlDbContext<TContext>(this IHostApplicationBuilder builder, string connectionName)
        where TContext : DbContext
    {
        builder.AddNpgsqlDbContext<TContext>(connectionName, settings => settings.DisableHealthChecks = true);
        builder.AddDatabaseHealthCheck(connectionName);
        // Hosted services start before Kestrel listens, so the service answers nothing, not even
        // /health, until its schema is current; a failed migration stops the service.
        builder.Services.AddHostedService<MigrationOnStartup<TContext>>();
        return builder;
    }
}
