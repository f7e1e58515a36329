using GraphQL;
using GraphQL.Types;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Api.Schema;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IotAspire.UnitTests.Readings;

/// <summary>The document rules of the transport, run by GraphQL.NET's executer (validation refuses before any resolver runs).</summary>
public sealed class GraphQLLimitsTests : IDisposable
{
    private readonly ServiceProvider services;

    public GraphQLLimitsTests()
    {
        var collection = new ServiceCollection();
        collection.AddSingleton(Options.Create(new GraphQLHttpOptions()));
        collection.AddGraphQL(graphQL => graphQL.AddReadingsSchema().AddHttpTransport());
        services = collection.BuildServiceProvider();
    }

    public void Dispose() => services.Dispose();

    private async Task<ExecutionResult> RunAsync(string query, bool overGet = false) =>
        await services.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(options =>
        {
            options.Query = query;
            options.RequestServices = services;
            options.UserContext[OnlyQueriesOverGetRule.SentOverGetKey] = overGet;
        });

    private static string SingleError(ExecutionResult result)
    {
        Assert.False(result.Executed);
        return Assert.Single(result.Errors!).Message;
    }

    [Fact]
    public async Task Two_ingest_fields_in_one_document_are_refused_so_a_request_is_one_batch()
    {
        var result = await RunAsync("mutation { a: ingestReadings(readings: []) { inserted } b: ingestReadings(readings: []) { inserted } }");

        Assert.Contains("ingestReadings only once", SingleError(result));
        Assert.Equal("BAD_USER_INPUT", result.Errors![0].Code);
    }

    [Fact]
    public async Task Root_fields_over_the_limit_are_refused_counting_aliases_and_fragments()
    {
        var result = await RunAsync("""
            query { a: devices { id } b: devices { id } ...More }
            fragment More on Query { c: devices { id } ... on Query { d: devices { id } e: devices { id } } }
            """);

        Assert.Contains("at most 4 root fields", SingleError(result));
        Assert.Contains("this one selects 5", result.Errors![0].Message);
    }

    [Fact]
    public async Task A_fragment_spread_twice_counts_twice()
    {
        var result = await RunAsync("query { ...D ...D ...D } fragment D on Query { x: devices { id } y: devices { id } }");

        Assert.Contains("this one selects 6", SingleError(result));
    }

    [Fact]
    public async Task A_mutation_over_get_is_refused_and_a_query_is_not()
    {
        Assert.Contains("must be sent with POST", SingleError(await RunAsync("mutation { ingestReadings(readings: []) { inserted } }", overGet: true)));
        Assert.DoesNotContain(
            (await RunAsync("query { __typename }", overGet: true)).Errors ?? [],
            error => error is NotAQueryOverGetError);
    }

    [Fact]
    public async Task A_deeply_nested_document_is_an_error_not_an_exception()
    {
        var deep = "query { " + string.Concat(Enumerable.Repeat("devices { ", 300)) + "id" + new string('}', 301);

        var result = await RunAsync(deep);

        Assert.False(result.Executed);
        Assert.NotEmpty(result.Errors!);
    }
}
