using GraphQL;
using IotAspire.Api.Aggregation;
using IotAspire.Api.Alerts;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.DeviceProtocols;
using IotAspire.Api.Devices;
using IotAspire.Api.Errors;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Api.GraphQLWebSockets;
using IotAspire.Api.Grafana;
using IotAspire.Api.HeavyReads;
using IotAspire.Api.Ingestion;
using IotAspire.Api.LiveUpdates;
using IotAspire.Api.Materialization;
using IotAspire.Api.OriginalRest;
using IotAspire.Api.RawReadings;
using IotAspire.Api.Retention;
using IotAspire.Api.Schema;
using IotAspire.Api.Security;
using IotAspire.Shared.Security;

namespace IotAspire.Api;

/// <summary>The API's composition root: every service it registers and every endpoint it maps, top to bottom.</summary>
public static class ReadingsApiExtensions
{
    public static IHostApplicationBuilder AddReadingsApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<UnexpectedExceptionHandler>();       // no stack trace in any environment
        builder.AddReadingsDatabase(ResourceNames.ReadingsDatabase);   // migrated before requests; Npgsql data source
        builder.AddGrafanaReadAccess();                                 // after the migration: it grants on its tables
        builder.AddTokenValidation(ResourceNames.Auth);                 // the token service's public keys, by discovery
        builder.AddFailedTokenThrottle();                               // per address: 429 after too many bad tokens
        builder.AddIngestion();
        builder.AddDeviceProtocols();                                   // MQTT and ThingsBoard's HTTP device API, group commits
        builder.AddRollupMaterializer();                                // folds what ingest committed into the rollups
        builder.AddHeavyReadBudget();                                   // per-customer turns of expensive reads
        builder.AddAggregation();
        builder.AddRawReadings();                                       // paged readings and CSV exports
        builder.AddDeviceProvisioning();
        builder.AddLiveUpdates();                                       // subscriptions fed by every replica's commits
        builder.AddRetention();                                         // per-customer periods; the job that deletes
        builder.AddAlerts();                                            // rules evaluated after the rollups; feed and webhooks
        builder.AddValidatedOptions<GraphQLHttpOptions>(GraphQLHttpOptions.Section);
        builder.AddValidatedOptions<GraphQLWebSocketOptions>(GraphQLWebSocketOptions.Section);
        builder.Services.AddGraphQL(graphQL => graphQL
            .AddReadingsSchema()                                         // Schema/: the only feature-facing GraphQL code
            .AddHttpTransport()                                          // GraphQLHttp/: limits, GET rule, document cache
            .AddWebSocketTransport());                                   // GraphQLWebSockets/: graphql-transport-ws
        return builder;
    }

    public static WebApplication MapReadingsApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        // Routing inside the handler: a fault while matching a request (an ambiguous route, say) gets our
        // answer too, not the developer exception page with its stack trace that Development would show.
        app.UseRouting();
        app.UseFailedTokenThrottle();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapCallerEndpoints();
        app.MapThingsBoardDeviceApi();                                   // DeviceProtocols/: POST /api/v1/{token}/telemetry
        app.MapOriginalRestApi();                                        // OriginalRest/: the Django app's REST API, for devices that cannot change
        app.MapReadingsExport();                                         // RawReadings/: GET /api/export, streamed
        app.MapGraphQLWebSocket("/graphql");                             // before the endpoints: upgrades only
        app.MapGraphQLEndpoint("/graphql");
        app.MapGet("/", () => Results.Redirect("/graphql"));
        return app;
    }
}
