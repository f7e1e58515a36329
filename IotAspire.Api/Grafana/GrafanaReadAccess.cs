using IotAspire.Api.ReadingsStore;
using Npgsql;

namespace IotAspire.Api.Grafana;

/// <summary>
/// Grants Grafana's login (<see cref="DatabaseRoles.GrafanaReader"/>, made by the AppHost with its password and
/// statement timeout) SELECT on the readings tables and nothing else. The API does it because it owns the
/// tables: it runs at start-up after the migrations, so a table added later is not readable by Grafana
/// until it is named here.
/// </summary>
public sealed class GrafanaReadAccess(NpgsqlDataSource dataSource, ILogger<GrafanaReadAccess> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var roleExists = dataSource.CreateCommand($"SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DatabaseRoles.GrafanaReader}')");
        if (await roleExists.ExecuteScalarAsync(cancellationToken) is not true)
        {
            logger.LogInformation("There is no {Role} role (the AppHost makes it): nothing to grant", DatabaseRoles.GrafanaReader);
            return;
        }

        // Replicas starting together would otherwise run these at once, which PostgreSQL can refuse ("tuple
        // concurrently updated"): the statements run as one transaction that waits for the others.
        await using var grant = dataSource.CreateCommand($"""
            SELECT pg_advisory_xact_lock(hashtext('iotaspire grafana grants'));
            REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {DatabaseRoles.GrafanaReader};
            GRANT SELECT ON {string.Join(", ", ReadingsTables.GrafanaReadable)} TO {DatabaseRoles.GrafanaReader};
            """);
        await grant.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Role {Role} may read the readings tables", DatabaseRoles.GrafanaReader);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
