using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every IotAspire service has: OpenTelemetry to the Aspire dashboard, health checks, service
/// discovery and resilient HTTP clients. Call <see cref="AddServiceDefaults{TBuilder}"/> first thing in a
/// service's <c>Program.cs</c> and <see cref="MapDefaultEndpoints"/> after <c>Build()</c>.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>Activity sources of our own code ("IotAspire.Migrations", ...) are traced by this prefix.</summary>
    private const string OwnActivitySources = "IotAspire.*";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(OwnActivitySources))   // our own meters ("IotAspire.Rollups", ...) by the same prefix
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName, OwnActivitySources)
                .AddAspNetCoreInstrumentation(aspNetCore =>
                    // Probes every few seconds would drown the traces that matter.
                    aspNetCore.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        // The AppHost sets OTEL_EXPORTER_OTLP_ENDPOINT to the dashboard; run alone, a service exports nothing.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }

    /// <summary>
    /// <c>/health</c>: ready for traffic (every check, databases included; each bounded, so it answers within
    /// about 2 s whatever a database does). <c>/alive</c>: the process responds (only checks tagged "live").
    /// Both answer with the status word and the names of the checks that failed (<c>Unhealthy: readings-database</c>),
    /// never their exceptions, so they tell an operator what is down and reveal nothing else; 503 when not healthy.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = WriteStatusAndFailedChecks });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
            ResponseWriter = WriteStatusAndFailedChecks,
        });

        return app;
    }

    /// <summary>"Healthy", or the status and the failed checks' names: <c>Unhealthy: readings-database</c>.</summary>
    public static string DescribeHealth(HealthReport report)
    {
        var failed = report.Entries.Where(entry => entry.Value.Status != HealthStatus.Healthy).Select(entry => entry.Key).Order(StringComparer.Ordinal).ToList();
        return failed.Count == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join(", ", failed)}";
    }

    private static Task WriteStatusAndFailedChecks(Microsoft.AspNetCore.Http.HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response, DescribeHealth(report));
    }
}
