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
        await using var command = dataSource.CreateCommand($"""
            DO $$ BEGIN
                IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{DatabaseRoles.GrafanaReader}') THEN
                    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {DatabaseRoles.GrafanaReader};
                    GRANT SELECT ON readings, devices TO {DatabaseRoles.GrafanaReader};
                END IF;
            END $$;
            SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DatabaseRoles.GrafanaReader}');
            """);
        if (await command.ExecuteScalarAsync(cancellationToken) is true)
        {
            logger.LogInformation("Role {Role} may read the readings tables", DatabaseRoles.GrafanaReader);
        }
        else
        {
            logger.LogInformation("There is no {Role} role (the AppHost makes it): nothing to grant", DatabaseRoles.GrafanaReader);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
