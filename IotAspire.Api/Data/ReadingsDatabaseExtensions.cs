using IotAspire.Shared.Data;

namespace IotAspire.Api.Data;

public static class ReadingsDatabaseExtensions
{
    /// <summary>The API's own database, migrated before the API takes requests.</summary>
    public static IHostApplicationBuilder AddReadingsDatabase(this IHostApplicationBuilder builder, string connectionName) =>
        builder.AddMigratedNpgsqlDbContext<ReadingsDbContext>(connectionName);
}

internal sealed class ReadingsDesignTimeFactory : DesignTimeDbContextFactory<ReadingsDbContext>;
