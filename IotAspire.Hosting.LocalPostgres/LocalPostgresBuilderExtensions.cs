using Aspire.Hosting.ApplicationModel;
using IotAspire.Hosting.LocalPostgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Aspire.Hosting;

public static class LocalPostgresBuilderExtensions
{
    private const string LauncherScript = "run-local-postgres.sh";

    /// <summary>
    /// PostgreSQL run from this machine's server binaries, with its data in <paramref name="dataDirectory"/>
    /// (created with <c>initdb</c> on first use, kept between runs). It listens on localhost at a port Aspire
    /// picks; the superuser's password is a generated parameter <c>{name}-password</c> kept in user secrets.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, LocalPostgresBinaries binaries, string dataDirectory) =>
        builder.AddLocalPostgres(name, binaries, dataDirectory,
            ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password"), settings: []);

    /// <summary>The same, with the superuser's <paramref name="password"/> given (a Citus cluster's servers share
    /// one) and server <paramref name="settings"/> (<c>name=value</c>, passed as <c>-c</c> options).</summary>
    internal static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, LocalPostgresBinaries binaries, string dataDirectory,
        ParameterResource password, IReadOnlyList<string> settings)
    {
        var server = new LocalPostgresServerResource(name, builder.AppHostDirectory, password);

        // Databases are created once the server is healthy; nothing else runs them, so they are declared
        // Running here, which is when Aspire starts their health checks (and so releases their WaitFor). A
        // distributed database of a Citus coordinator is made ready on every worker first (CitusRegistration).
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, ct) =>
        {
            await using var connection = new NpgsqlConnection(await server.ConnectionStringExpression.GetValueAsync(ct));
            await connection.OpenAsync(ct);
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var database in builder.Resources.OfType<LocalPostgresDatabaseResource>().Where(db => db.Parent == server))
            {
                await CreateDatabaseIfMissingAsync(connection, database.DatabaseName, ct);
                if (database.TryGetLastAnnotation<CitusDatabaseAnnotation>(out var citus))
                {
                    await citus.RegisterAsync(database, ct);
                }

                await notifications.PublishRunningAsync(database);
            }
        });

        var launcher = Path.Combine(Path.GetDirectoryName(typeof(LocalPostgresServerResource).Assembly.Location)!, LauncherScript);
        return builder.AddResource(server)
            .WithArgs(launcher)
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", env: "PGPORT")
            .WithEnvironment("PG_BIN", binaries.BinDirectory)
            .WithEnvironment("PGDATA", dataDirectory)
            .WithEnvironment("PG_SETTINGS", string.Join(' ', settings))
            .WithEnvironment(context => context.EnvironmentVariables["POSTGRES_PASSWORD"] = server.PasswordParameter)
            .WithNpgsqlHealthCheck()
            .WithSupervisionState();   // the launcher restarts a server that dies; the dashboard shows it
    }

    /// <summary>A database on this server, created at start if missing; healthy once it accepts connections.</summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, string name, string? databaseName = null)
    {
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new("DatabaseName", database.DatabaseName)],
            })
            .WithParentRelationship(server)
            .WithNpgsqlHealthCheck();
    }

    internal static async Task CreateDatabaseIfMissingAsync(NpgsqlConnection connection, string databaseName, CancellationToken ct)
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
