using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace IotAspire.AppHost.Postgres;

/// <summary>The PostgreSQL server of the system, whichever way it runs, and a way to add databases to it.</summary>
public sealed class IotPostgres(
    IResourceBuilder<IResourceWithConnectionString> server,
    PostgresHostingPlan plan,
    Func<string, IResourceBuilder<IResourceWithConnectionString>> addDatabase)
{
    public IResourceBuilder<IResourceWithConnectionString> Server { get; } = server;

    public PostgresHostingPlan Plan { get; } = plan;

    /// <summary>A database on this server, created at start if missing; healthy once it accepts connections.</summary>
    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) => addDatabase(name);
}

public static class IotPostgresExtensions
{
    /// <summary>
    /// Adds PostgreSQL as <c>Postgres:Mode</c> and the machine allow: Aspire's container with a data volume
    /// where a container runtime answers, otherwise the local server binaries with a data directory kept
    /// between runs (<see cref="LocalPostgresDataDirectory"/>).
    /// </summary>
    public static IotPostgres AddIotPostgres(this IDistributedApplicationBuilder builder, string name)
    {
        var plan = PostgresHostingPlan.FromConfiguration(builder.Configuration);
        builder.LogOnStart(LogLevel.Information, $"PostgreSQL runs {(plan.UsesContainers ? "in a container" : "from local binaries")}: {plan.Reason}.");

        if (plan.UsesContainers)
        {
            var container = builder.AddPostgres(name).WithDataVolume();
            return new IotPostgres(container, plan, database => container.AddDatabase(database));
        }

        var local = builder.AddLocalPostgres(name, plan.Binaries!);
        return new IotPostgres(local, plan, database => local.AddLocalDatabase(database));
    }

    private static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, LocalPostgresBinaries binaries)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password");
        var server = new LocalPostgresServerResource(name, builder.AppHostDirectory, password);
        var dataDirectory = LocalPostgresDataDirectory.Resolve(builder.Configuration, binaries.MajorVersion);
        builder.LogOnStart(LogLevel.Information, $"PostgreSQL {binaries.MajorVersion} keeps its data in {dataDirectory}.");

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, ct) =>
            connectionString = await server.ConnectionStringExpression.GetValueAsync(ct));

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, ct) =>
        {
            await using var connection = new NpgsqlConnection(connectionString + ";Database=postgres");
            await connection.OpenAsync(ct);
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var database in builder.Resources.OfType<LocalPostgresDatabaseResource>().Where(db => db.Parent == server))
            {
                await CreateDatabaseIfMissingAsync(connection, database.DatabaseName, ct);
                // Aspire runs a resource's health checks (and so releases its WaitFor) only once the
                // resource is Running; nothing else runs a database, so it is declared running here.
                await notifications.PublishUpdateAsync(database, state => state with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                });
            }
        });

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => (connectionString ?? throw new InvalidOperationException("The connection string is not known yet.")) + ";Database=postgres",
            name: healthCheckKey);

        return builder.AddResource(server)
            .WithArgs(Path.Combine(builder.AppHostDirectory, "Postgres", "run-local-postgres.sh"))
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", env: "PGPORT")
            .WithEnvironment("PG_BIN", binaries.BinDirectory)
            .WithEnvironment("PGDATA", dataDirectory)
            .WithEnvironment(context => context.EnvironmentVariables["POSTGRES_PASSWORD"] = server.PasswordParameter)
            .WithHealthCheck(healthCheckKey);
    }

    private static IResourceBuilder<LocalPostgresDatabaseResource> AddLocalDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, string name)
    {
        var database = new LocalPostgresDatabaseResource(name, databaseName: name, server.Resource);

        string? connectionString = null;
        server.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(database, async (_, ct) =>
            connectionString = await database.ConnectionStringExpression.GetValueAsync(ct));

        var healthCheckKey = $"{name}_check";
        server.ApplicationBuilder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException("The connection string is not known yet."),
            name: healthCheckKey);

        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new("DatabaseName", database.DatabaseName)],
            })
            .WithParentRelationship(server)
            .WithHealthCheck(healthCheckKey);
    }

    private static async Task CreateDatabaseIfMissingAsync(NpgsqlConnection connection, string databaseName, CancellationToken ct)
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = databaseName } },
        };
        if (await exists.ExecuteScalarAsync(ct) is not null)
        {
            return;
        }

        // CREATE DATABASE takes no parameters; the name is quoted as an identifier instead.
        var quoted = "\"" + databaseName.Replace("\"", "\"\"") + "\"";
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
        await create.ExecuteNonQueryAsync(ct);
    }
}
