using IotAspire.Api.Aggregation;
using IotAspire.Api.Grafana;
using IotAspire.Api.Ingestion;
using IotAspire.Shared.Data;

namespace IotAspire.Api.Data;

public static class ReadingsDatabaseExtensions
{
    /// <summary>
    /// The API's own database: EF Core owns the schema (migrated before the API takes requests); the hot
    /// paths, ingest and aggregation, are hand-written SQL on an Npgsql data source (with Aspire's
    /// health check, tracing and metrics) in <see cref="ReadingsWriter"/> and <see cref="DeviceAggregatesReader"/>.
    /// </summary>
    public static IHostApplicationBuilder AddReadingsDatabase(this IHostApplicationBuilder builder, string connectionName)
    {
        builder.AddMigratedNpgsqlDbContext<ReadingsDbContext>(connectionName);
        builder.AddNpgsqlDataSource(connectionName);
        builder.Services.AddSingleton<ReadingsWriter>();
        builder.Services.AddSingleton<DeviceAggregatesReader>();
        // After the migration (hosted services start in order): Grafana's read-only login.
        builder.Services.Configure<GrafanaReaderOptions>(builder.Configuration.GetSection("Grafana"));
        builder.Services.AddHostedService<GrafanaReaderRole>();
        return builder;
    }
}

internal sealed class ReadingsDesignTimeFactory : DesignTimeDbContextFactory<ReadingsDbContext>;
