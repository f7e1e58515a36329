using Microsoft.Extensions.Options;
using Npgsql;
using IotAspire.Api.ReadingsStore;
namespace IotAspire.Api.Ingestion;

public static class IngestionServiceExtensions
{
    /// <summary>The ingest use case, its SQL and its settings (validated at start).</summary>
    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<IngestionOptions>(IngestionOptions.Section);
        builder.Services.AddSingleton(services => new ReadingsWriter(services.GetRequiredService<NpgsqlDataSource>(),
            claimNewDevices: !services.GetRequiredService<IOptions<IngestionOptions>>().Value.RequireRegisteredDevices));
        builder.Services.AddSingleton<IngestReadings>();
        return builder;
    }
}
