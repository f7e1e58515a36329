using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace IotAspire.Shared.Data;

/// <summary>
/// Whether a service's database answers, within <see cref="Budget"/> whatever the database does. Aspire's own
/// checks did not bound <c>/health</c>: with PostgreSQL gone, the Npgsql check waited out its connect timeout and
/// the EF Core check its retry strategy (11-14 s), so a load balancer could not tell "down" from "slow".
/// </summary>
/// <remarks>
/// The probe runs on a connection of its own (no pool: a pooled connection outlives a restarted server and would
/// report the old one), at most once per <see cref="Freshness"/>; callers in between share its answer. <c>/health</c>
/// is public, and a flood of probes must not become a flood of connections.
/// </remarks>
public sealed class DatabaseHealthCheck : IHealthCheck
{
    /// <summary>The longest a check takes, answer or not. With <see cref="Freshness"/> it bounds how late a dead
    /// database is reported: an answer at most 0.5 s old, then a probe of at most 1 s, well under the 2 s an
    /// orchestrator's probe is given. A fresh connection and <c>SELECT 1</c> take milliseconds.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(1000);

    /// <summary>How long an answer stands for the callers that come after it.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromMilliseconds(500);

    private readonly string connectionString;
    private readonly TimeProvider clock;
    private readonly Lock gate = new();
    private Task<HealthCheckResult>? probe;
    private DateTimeOffset probedAt;

    public DatabaseHealthCheck(string connectionString, TimeProvider clock)
    {
        this.connectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            Timeout = (int)Math.Ceiling(Budget.TotalSeconds),   // whole seconds only; the budget cuts it shorter
            CommandTimeout = (int)Math.Ceiling(Budget.TotalSeconds),
        }.ConnectionString;
        this.clock = clock;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Task<HealthCheckResult> current;
        lock (gate)
        {
            if (probe is null || (probe.IsCompleted && clock.GetUtcNow() - probedAt >= Freshness))
            {
                probedAt = clock.GetUtcNow();
                // On the pool, not inline: opening a connection runs synchronously up to its first wait (parsing,
                // resolving, the socket's start), and that would run inside this lock and before the budget's clock.
                probe = Task.Run(ProbeAsync);
            }

            current = probe;
        }

        try
        {
            return await current.WaitAsync(Budget, clock, cancellationToken);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"The database did not answer within {Budget.TotalSeconds} s.");
        }
    }

    private async Task<HealthCheckResult> ProbeAsync()
    {
        // The probe gives up on its own too, so an abandoned one does not hold a connection attempt open.
        using var timeout = new CancellationTokenSource(Budget, clock);
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(timeout.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", e);
        }
    }
}

public static class DatabaseHealthCheckExtensions
{
    /// <summary>The health check of a service's database, named <c>{connectionName}-database</c> (what a failed
    /// <c>/health</c> names), on the connection string Aspire gives under <paramref name="connectionName"/>.</summary>
    public static IHostApplicationBuilder AddDatabaseHealthCheck(this IHostApplicationBuilder builder, string connectionName)
    {
        // One instance for the process (a registration's factory runs on every check): it holds the shared probe.
        var name = $"{connectionName}-database";
        builder.Services.AddKeyedSingleton(name, (services, _) => new DatabaseHealthCheck(
            services.GetRequiredService<IConfiguration>().GetConnectionString(connectionName)
                ?? throw new InvalidOperationException($"ConnectionStrings:{connectionName} is not set; the AppHost sets it for the '{connectionName}' database."),
            services.GetService<TimeProvider>() ?? TimeProvider.System));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name,
            services => services.GetRequiredKeyedService<DatabaseHealthCheck>(name),
            HealthStatus.Unhealthy,
            tags: ["ready"],
            timeout: DatabaseHealthCheck.Budget + TimeSpan.FromMilliseconds(100)));
        return builder;
    }
}
