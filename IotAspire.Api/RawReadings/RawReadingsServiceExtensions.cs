using IotAspire.Api.ReadingsStore;
namespace IotAspire.Api.RawReadings;

public static class RawReadingsServiceExtensions
{
    /// <summary>Raw readings: cursor-paged through GraphQL, streamed as CSV by <see cref="ExportEndpoint"/>.</summary>
    public static IHostApplicationBuilder AddRawReadings(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RawReadingsReader>();
        builder.Services.AddSingleton<ReadRawReadings>();
        return builder;
    }
}
