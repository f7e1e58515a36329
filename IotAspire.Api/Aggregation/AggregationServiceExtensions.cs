using IotAspire.Api.ReadingsStore;
namespace IotAspire.Api.Aggregation;

public static class AggregationServiceExtensions
{
    /// <summary>The read side: bucket functions and device summaries, and the clock that ends a default range.</summary>
    public static IHostApplicationBuilder AddAggregation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DeviceAggregatesReader>();
        builder.Services.AddSingleton<DevicesReader>();
        builder.Services.AddSingleton<AggregateReadings>();
        builder.Services.AddSingleton<GroupBucketsReader>();
        builder.Services.AddSingleton<AggregateGroups>();
        builder.Services.AddSingleton<LatestValuesReader>();
        builder.Services.AddSingleton<ReadLatest>();
        return builder;
    }
}
