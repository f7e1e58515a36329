using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static class StartupLogExtensions
{
    /// <summary>
    /// Logs a decision made while the model is built (no logger exists yet) once the app starts, in the
    /// AppHost's console next to Aspire's own lines.
    /// </summary>
    public static void LogOnStart(this IDistributedApplicationBuilder builder, LogLevel level, string message) =>
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Aspire.Hosting.AppHost").Log(level, "{Message}", message);
            return Task.CompletedTask;
        });
}
