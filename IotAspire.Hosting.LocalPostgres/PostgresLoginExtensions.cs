using Aspire.Hosting.ApplicationModel;
using IotAspire.Hosting.LocalPostgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Aspire.Hosting;

public static class PostgresLoginExtensions
{
    /// <summary>
    /// A login role that owns <paramref name="database"/>: a service that migrates its own schema connects with
    /// it instead of the superuser. Objects an earlier version made as the superuser are handed to the role.
    /// The password is <paramref name="password"/>, or a generated parameter <c>{name}-password</c>.
    /// </summary>
    public static IResourceBuilder<PostgresLoginResource> AddOwnerLogin(this IResourceBuilder<IResourceWithConnectionString> database,
        string name, string roleName, IResourceBuilder<ParameterResource>? password = null) =>
        database.AddLogin(name, roleName, password, PostgresLoginAccess.Owner, statementTimeout: null);

    /// <summary>
    /// A login role that may connect to <paramref name="database"/> and use its <c>public</c> schema, nothing
    /// more until the owner grants it tables; every statement it runs stops after <paramref name="statementTimeout"/>.
    /// </summary>
    public static IResourceBuilder<PostgresLoginResource> AddReaderLogin(this IResourceBuilder<IResourceWithConnectionString> database,
        string name, string roleName, TimeSpan statementTimeout, IResourceBuilder<ParameterResource>? password = null) =>
        database.AddLogin(name, roleName, password, PostgresLoginAccess.Reader, statementTimeout);

    private static IResourceBuilder<PostgresLoginResource> AddLogin(this IResourceBuilder<IResourceWithConnectionString> database,
        string name, string roleName, IResourceBuilder<ParameterResource>? password, PostgresLoginAccess access, TimeSpan? statementTimeout)
    {
        var builder = database.ApplicationBuilder;
        var (databaseName, server) = database.Resource switch
        {
            PostgresDatabaseResource container => (container.DatabaseName, container.Parent.PrimaryEndpoint),
            LocalPostgresDatabaseResource local => (local.DatabaseName, local.Parent.PrimaryEndpoint),
            _ => throw new ArgumentException($"'{database.Resource.Name}' is not a PostgreSQL database resource.", nameof(database)),
        };
        var login = new PostgresLoginResource(name, database.Resource, databaseName, server, PostgresLoginSql.CheckedRoleName(roleName),
            password?.Resource ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password"),
            access, statementTimeout);

        // The superuser makes the role once the database exists; nothing else runs a login, so it is declared
        // Running then, which starts its health check (a connection as the role) and so releases its WaitFor.
        builder.Eventing.Subscribe<ResourceReadyEvent>(database.Resource, async (@event, ct) =>
        {
            await using (var connection = new NpgsqlConnection(await database.Resource.ConnectionStringExpression.GetValueAsync(ct)))
            {
                await connection.OpenAsync(ct);
                var rolePassword = await login.Password.GetValueAsync(ct)
                    ?? throw new InvalidOperationException($"The parameter '{login.Password.Name}' has no value.");
                var sql = PostgresLoginSql.Provision(login.RoleName, login.DatabaseName, login.Access, login.StatementTimeout, PostgresPassword.ScramVerifier(rolePassword));
                var citus = database.Resource.TryGetLastAnnotation<CitusDatabaseAnnotation>(out var annotation) ? annotation : null;
                if (citus is not null)
                {
                    // On Citus the coordinator runs the role's statements on the workers as the role: it needs its password there.
                    sql += "\n" + CitusSql.AuthInfo(login.RoleName, rolePassword);
                }

                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync(ct);
                if (citus is not null)
                {
                    await citus.WriteAuthInfoOnWorkersAsync(login.DatabaseName, login.RoleName, rolePassword, ct);
                }
            }

            await @event.Services.GetRequiredService<ResourceNotificationService>().PublishRunningAsync(login);
        });

        return builder.AddResource(login)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresLogin",
                State = KnownResourceStates.Waiting,
                Properties = [new("RoleName", login.RoleName), new("DatabaseName", login.DatabaseName), new("Access", access.ToString())],
            })
            .WithParentRelationship(database)
            .WithNpgsqlHealthCheck();
    }
}
