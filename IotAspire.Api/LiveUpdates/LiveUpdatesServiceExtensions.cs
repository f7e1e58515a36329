namespace IotAspire.Api.LiveUpdates;

public static class LiveUpdatesServiceExtensions
{
    /// <summary>Live updates: this replica's subscriptions, the listener for every replica's commits, the use cases.</summary>
    public static IHostApplicationBuilder AddLiveUpdates(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<LiveUpdatesOptions>(LiveUpdatesOptions.Section);
        builder.Services.AddSingleton<LiveSubscribers>();
        builder.Services.AddHostedService<ReadingsListener>();
        builder.Services.AddSingleton<WatchReadings>();
        return builder;
    }
}
