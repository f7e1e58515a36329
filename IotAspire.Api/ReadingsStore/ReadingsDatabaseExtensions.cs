using IotAspire.Shared.Data;

namespace IotAspire.Api.ReadingsStore;

public static class ReadingsDatabaseExtensions
{
    public static readonly TimeSpan StatementTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The API's own database: EF Core owns the schema (migrated before the API takes requests); the hot
    /// paths are hand-written SQL on an Npgsql data source (with tracing and
    /// metrics), each in the feature it serves.
    /// </summary>
    public static IHostApplicationBuilder AddReadingsDatabase(this IHostApplicationBuilder builder, string connectionName)
    {
        builder.AddMigratedNpgsqlDbContext<ReadingsDbContext>(connectionName);
        // Its health is the one database check AddMigratedNpgsqlDbContext registers (bounded), not Aspire's.
        builder.AddNpgsqlDataSource(connectionName, settings => settings.DisableHealthChecks = true, configureDataSourceBuilder: dataSource =>
        {
            // A statement the API runs may take at most this long, so no caller can hold a connection and
            // its locks for long; below GraphQLHttp:RequestTimeout, so the database gives up first.
            dataSource.ConnectionStringBuilder.Options = $"-c statement_timeout={StatementTimeout.TotalMilliseconds:0} {CitusDistribution.ConnectionOptions}";
            // PostgreSQL runs next to the API: a connection not made within seconds will not be made, and a
            // device is better told at once that the database is away (Npgsql's default waits 15 s).
            dataSource.ConnectionStringBuilder.Timeout = (int)ConnectTimeout.TotalSeconds;
        });
        return builder;
    }
}

internal sealed class ReadingsDesignTimeFactory : DesignTimeDbContextFactory<ReadingsDbContext>;
