using GraphQL;
using IotAspire.Api.Aggregation;
using IotAspire.Api.Ingestion;
using IotAspire.Api.Schema;

namespace IotAspire.Api.GraphQLHttp;

public static class GraphQLServiceExtensions
{
    /// <summary>Depth and size limits that leave room for an IDE's introspection query.</summary>
    public const int MaxDepth = 15;
    public const int MaxComplexity = 20_000;
    public const double IntrospectionImpact = 0.05;

    /// <summary>The readings schema (type-first, from <see cref="Query"/> and <see cref="Mutation"/>), its limits and resolvers.</summary>
    public static IHostApplicationBuilder AddReadingsGraphQL(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<IngestionOptions>(builder.Configuration.GetSection("Ingestion"));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DeviceAggregatesQuery>();
        builder.Services.AddSingleton<DevicesReader>();
        builder.Services.AddSingleton<IngestReadingsMutation>();

        builder.Services.AddGraphQL(graphQL => graphQL
            .AddAutoSchema<Query>(schema => schema.WithMutation<Mutation>())
            .ConfigureSchema(schema =>
            {
                schema.RegisterTypeMapping<Guid, UuidGraphType>();
                schema.RegisterTypeMapping<DateTimeOffset, IsoDateTimeGraphType>();
            })
            .AddGraphTypes(typeof(Query).Assembly)
            // Offsets keep their '+' instead of the default escaping as \u002B.
            .AddSystemTextJson(json => json.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)
            .AddComplexityAnalyzer(limits =>
            {
                limits.MaxDepth = MaxDepth;
                limits.MaxComplexity = MaxComplexity;
            })
            .AddErrorInfoProvider<ApiErrorInfoProvider>());

        builder.Services.AddSingleton<DocumentCache>();
        builder.Services.AddSingleton<GraphQL.DI.IConfigureExecution>(services => services.GetRequiredService<DocumentCache>());
        return builder;
    }
}
