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

        // Replicas of a service start together (Api:Replicas): on a new database each would apply the same
        // migrations at once, and all but one fail ("relation already exists") and exit. One at a time, on a
        // session lock held on this context's connection; the others then find the schema current.
        context.Database.SetCommandTimeout(MigrationCommandTimeout);
        await context.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken);
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
            await context.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            // Released by name: closing returns the connection to Npgsql's pool, whose session (and the lock with it)
            // lives on until the connection is next used, when the pool resets it. The other replicas would wait
            // for that; they did while anything else (Aspire's health checks) happened to reuse it soon.
            try
            {
                await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
            }
            catch (System.Data.Common.DbException)
            {
                // The connection is broken: its session, and the lock, ended with it.
            }

            await context.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Advisory locks belong to a database, so each service's database has its own lock under this key.</summary>
    private const long MigrationLockKey = 0x1_07A5_313A;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
