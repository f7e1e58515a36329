using IotAspire.Shared.Data;

namespace IotAspire.Api.Data;

public static class ReadingsDatabaseExtensions
{
    /// <summary>
    /// The API's own database: EF Core owns the schema (migrated before the API takes requests); the hot
    /// paths are hand-written SQL on an Npgsql data source (with Aspire's health check, tracing and
    /// metrics), each in the feature it serves.
    /// </summary>
    public static IHostApplicationBuilder AddReadingsDatabase(this IHostApplicationBuilder builder, string connectionName)
    {
        builder.AddMigratedNpgsqlDbContext<ReadingsDbContext>(connectionName);
        builder.AddNpgsqlDataSource(connectionName);
        return builder;
    }
}

internal sealed class ReadingsDesignTimeFactory : DesignTimeDbContextFactory<ReadingsDbContext>;
