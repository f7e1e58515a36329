using IotAspire.Api.ReadingsStore;
using IotAspire.Shared.Security;

namespace IotAspire.Api.Alerts;

public static class AlertsServiceExtensions
{
    /// <summary>Alerts: rules and history, the evaluator and its job, the live feed, and the webhook sender (options validated at start).</summary>
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<AlertsOptions>(AlertsOptions.Section);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<Security.OwnEndpoints>();
        builder.Services.AddSingleton<AlertStore>();
        builder.AddKeyRing(WebhookSecretProtection.ApplicationName);   // webhook secrets encrypted at rest
        builder.Services.AddSingleton<WebhookSecretProtection>();
        builder.Services.AddSingleton<WebhookStore>();
        builder.Services.AddSingleton<IFoldObserver, FoldedSeriesNote>();   // the materializer notes the devices rules watch
        builder.Services.AddSingleton<AlertEvaluator>();
        builder.Services.AddSingleton<AlertFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AlertFeed>());
        builder.Services.AddHostedService<AlertJob>();
        builder.Services.AddHostedService<AlertWebhookSender>();
        builder.Services.AddSingleton<ManageAlerts>();
        return builder;
    }
}
