namespace IotAspire.Api.Ingestion;

public static class IngestionServiceExtensions
{
    /// <summary>The ingest use case, its SQL and its settings (validated at start).</summary>
    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<IngestionOptions>(IngestionOptions.Section);
        builder.Services.AddSingleton<ReadingsWriter>();
        builder.Services.AddSingleton<IngestReadings>();
        return builder;
    }
}
