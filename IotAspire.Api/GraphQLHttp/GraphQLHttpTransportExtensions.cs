using GraphQL;
using GraphQL.DI;

namespace IotAspire.Api.GraphQLHttp;

public static class GraphQLHttpTransportExtensions
{
    /// <summary>Depth and size limits that leave room for an IDE's introspection query.</summary>
    public const int MaxDepth = 15;
    public const int MaxComplexity = 20_000;
    public const double IntrospectionImpact = 0.01;

    /// <summary>
    /// What our GraphQL-over-HTTP transport needs from GraphQL.NET: JSON, the depth and complexity limits,
    /// the GET-runs-only-queries and root-field rules (for cached documents too), and the document cache.
    /// Its request limits are <see cref="GraphQLHttpOptions"/>.
    /// </summary>
    public static IGraphQLBuilder AddHttpTransport(this IGraphQLBuilder graphQL)
    {
        graphQL
            .AddSystemTextJson(ConfigureJson)
            .AddComplexityAnalyzer(limits =>
            {
                limits.MaxDepth = MaxDepth;
                limits.MaxComplexity = MaxComplexity;
            })
            .AddValidationRule<OnlyQueriesOverGetRule>(useForCachedDocuments: true)
            .AddValidationRule<RootFieldLimitsRule>(useForCachedDocuments: true);

        graphQL.Services.Register<DocumentCache, DocumentCache>(GraphQL.DI.ServiceLifetime.Singleton);
        graphQL.Services.Register<IConfigureExecution>(services => services.GetRequiredService<DocumentCache>(), GraphQL.DI.ServiceLifetime.Singleton);
        return graphQL;
    }

    /// <summary>The JSON settings of both transports (HTTP and WebSocket), one place for them and their tests.</summary>
    public static void ConfigureJson(System.Text.Json.JsonSerializerOptions json)
    {
        // Offsets keep their '+' instead of the default escaping as \u002B.
        json.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        // Variables' numbers reach a Float exactly as sent (the library's own reader goes through decimal).
        json.Converters.Insert(0, new ExactNumberInputsConverter());
    }
}
