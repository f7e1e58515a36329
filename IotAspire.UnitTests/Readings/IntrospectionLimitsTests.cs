using GraphQL;
using GraphQL.Types;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Api.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace IotAspire.UnitTests.Readings;

/// <summary>
/// The IDEs' introspection query (graphql-js 16's <c>getIntrospectionQuery()</c>, which Banana Cake Pop sends, checked in
/// as <c>ide-introspection.graphql</c>) passes the complexity and depth limits the API runs with: a schema that grows past
/// them would leave the IDE without a schema, with nothing but "Query is too complex" in its network log (the keys'
/// types did, at 5 % weight). And every description comes back, line breaks and all.
/// </summary>
public sealed class IntrospectionLimitsTests
{
    [Fact]
    public async Task The_ides_introspection_query_passes_the_limits_and_answers_every_description()
    {
        var services = new ServiceCollection();
        services.AddGraphQL(graphQL => graphQL.AddReadingsSchema().AddHttpTransport());
        await using var provider = services.BuildServiceProvider();
        var schema = provider.GetRequiredService<ISchema>();
        schema.WithIntrospectionComplexityImpact(GraphQLHttpTransportExtensions.IntrospectionImpact);
        var executer = provider.GetRequiredService<IDocumentExecuter>();

        var introspection = await executer.ExecuteAsync(o =>
        {
            o.Schema = schema;
            o.Query = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Readings", "ide-introspection.graphql"));
            o.RequestServices = provider;
        });

        Assert.True(introspection.Errors is null, string.Join("; ", introspection.Errors?.Select(e => $"{e.Message} at {string.Join(".", e.Path ?? [])}: {e.InnerException}") ?? []));
        Assert.NotNull(introspection.Data);

        // Without the lower weight the same query is refused: the test can fail.
        schema.WithIntrospectionComplexityImpact(0.05);
        var heavier = await executer.ExecuteAsync(o =>
        {
            o.Schema = schema;
            o.Query = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Readings", "ide-introspection.graphql"));
            o.RequestServices = provider;
        });
        Assert.Contains("too complex", Assert.Single(heavier.Errors!).Message, StringComparison.Ordinal);
    }
}
