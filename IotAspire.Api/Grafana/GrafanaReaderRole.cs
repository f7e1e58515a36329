using Microsoft.Extensions.Options;
using IotAspire.Api.Data;
using Npgsql;

namespace IotAspire.Api.Grafana;

/// <summary>
/// Creates (or updates) the login role Grafana reads the readings with: it may connect to this database and
/// SELECT its tables, nothing else. Runs at start-up after the migrations, since its password is a setting,
/// not schema. Connecting to this database is revoked from PUBLIC so that only named roles get in.
/// </summary>
public sealed class GrafanaReaderRole(NpgsqlDataSource dataSource, IOptions<GrafanaReaderOptions> options, ILogger<GrafanaReaderRole> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.Value.ReaderPassword))
        {
            logger.LogInformation("Grafana:ReaderPassword is not set: no {Role} role is made", GrafanaReaderOptions.RoleName);
            return;
        }

        // Passwords cannot be bound as parameters: the SCRAM verifier goes into the SQL text instead, so the
        // password itself never appears in a trace or a statement log.
        var verifier = "'" + PostgresPassword.ScramVerifier(options.Value.ReaderPassword) + "'";
        await using var command = dataSource.CreateCommand($"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{GrafanaReaderOptions.RoleName}') THEN
                    CREATE ROLE {GrafanaReaderOptions.RoleName} LOGIN;
                END IF;
                EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
                EXECUTE format('GRANT CONNECT ON DATABASE %I TO {GrafanaReaderOptions.RoleName}', current_database());
            END $$;
            ALTER ROLE {GrafanaReaderOptions.RoleName} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {verifier};
            -- Grafana's queries, like the API's, may not hold a connection for long.
            ALTER ROLE {GrafanaReaderOptions.RoleName} SET statement_timeout = '{GrafanaReaderOptions.StatementTimeout.TotalMilliseconds:0}ms';
            REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {GrafanaReaderOptions.RoleName};
            GRANT USAGE ON SCHEMA public TO {GrafanaReaderOptions.RoleName};
            GRANT SELECT ON readings, devices TO {GrafanaReaderOptions.RoleName};
            """);
        await command.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Role {Role} may read the readings tables", GrafanaReaderOptions.RoleName);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
