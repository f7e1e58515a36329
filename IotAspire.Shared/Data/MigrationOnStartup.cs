using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IotAspire.Shared.Data;

internal sealed class MigrationOnStartup<TContext>(IServiceProvider services, ILogger<MigrationOnStartup<TContext>> logger)
    : IHostedService where TContext : DbContext
{
    private static readonly ActivitySource ActivitySource = new("IotAspire.Migrations");
    private static readonly TimeSpan MigrationCommandTimeout = TimeSpan.FromMinutes(30);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var activity = ActivitySource.StartActivity($"Migrate {typeof(TContext).Name}");
        await using var scope = services.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TContext>();

        var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0)
        {
            logger.LogInformation("{Context}: schema is current", typeof(TContext).Name);
            return;
        }

        logger.LogInformation("{Context}: applying {Count} migration(s): {Migrations}",
            typeof(TContext).Name, pending.Count, string.Join(", ", pending));
        // A migration may backfill from every stored reading (the rollups do): far longer than a request's
        // command timeout on a large database, and the service is not taking requests yet anyway.
        context.Database.SetCommandTimeout(MigrationCommandTimeout);
        await context.Database.MigrateAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
