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

    private async Task<ExecutionResult> RunAsync(string query, bool overGet = false, Inputs? variables = null) =>
        await services.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(options =>
        {
            options.Query = query;
            options.Variables = variables;
            options.RequestServices = services;
            options.UserContext[OnlyQueriesOverGetRule.SentOverGetKey] = overGet;
        });

    /// <summary>The one error's message as the caller reads it (through the API's error provider).</summary>
    private static string SingleError(ExecutionResult result)
    {
        Assert.False(result.Executed);
        return new ApiErrorInfoProvider().GetInfo(Assert.Single(result.Errors!)).Message;
    }

    [Theory]
    [InlineData("a\u0000b", "contains a NUL character (at 1)")]
    [InlineData("line\nforged", "contains the control character U+000A (at 4)")]
    [InlineData("bell\u0007", "contains the control character U+0007 (at 4)")]
    [InlineData("c1\u0085", "contains the control character U+0085 (at 2)")]
    [InlineData("del\u007f", "contains the control character U+007F (at 3)")]
    public async Task Text_with_control_characters_is_refused_before_any_resolver_in_variables_and_literals(string text, string why)
    {
        const string document = "mutation($name: String) { createAlertRule(deviceId: \"71bf19cb-e7e7-4334-af31-5ebba56a655d\", kind: ABOVE, minutes: 1, threshold: 1, name: $name) { id } }";
        var viaVariable = await RunAsync(document, variables: new Inputs(new Dictionary<string, object?> { ["name"] = text }));
        var literal = System.Text.Json.JsonSerializer.Serialize(text);   // a GraphQL string literal reads JSON's escapes
        var viaLiteral = await RunAsync($"mutation {{ createAlertRule(deviceId: \"71bf19cb-e7e7-4334-af31-5ebba56a655d\", kind: ABOVE, minutes: 1, name: {literal}) {{ id }} }}");

        Assert.Contains("$name", SingleError(viaVariable));
        Assert.Contains(why, SingleError(viaVariable));
        Assert.Contains("'name'", SingleError(viaLiteral));
        Assert.Contains(why, SingleError(viaLiteral));
    }

    [Fact]
    public async Task An_unpaired_surrogate_in_a_variable_is_refused()
    {
        // Not a theory row: xUnit would replace the lone surrogate while serializing the row. (In a literal the
        // document parser already reads a lone \uD800 escape as U+FFFD.)
        var result = await RunAsync("query($z: String) { deviceAggregates(timeZone: $z) { deviceId } }",
            variables: new Inputs(new Dictionary<string, object?> { ["z"] = "half" + (char)0xD800 }));

        Assert.Contains("contains an unpaired surrogate U+D800 (at 4)", SingleError(result));
    }

    [Fact]
    public async Task Over_long_text_is_refused_and_ordinary_text_with_tabs_emoji_and_accents_is_not()
    {
        var tooLong = await RunAsync("query($z: String) { deviceAggregates(timeZone: $z) { deviceId } }",
            variables: new Inputs(new Dictionary<string, object?> { ["z"] = new string('x', Shared.Text.TextInput.MaxLength + 1) }));
        var message = SingleError(tooLong);
        Assert.True(message.Contains($"may be at most {Shared.Text.TextInput.MaxLength} characters"), message);

        Assert.Null(Shared.Text.TextInput.Refusal("Kühlraum 3 – Tür 🚪"));
    }

    [Fact]
    public async Task Two_ingest_fields_in_one_document_are_refused_so_a_request_is_one_batch()
    {
        var result = await RunAsync("mutation { a: ingestReadings(readings: []) { inserted } b: ingestReadings(readings: []) { inserted } }");

        Assert.Contains("one ingestReadings or ingestMessages, once", SingleError(result));
        Assert.Equal("BAD_USER_INPUT", result.Errors![0].Code);

        var mixed = await RunAsync("mutation { a: ingestReadings(readings: []) { inserted } b: ingestMessages(messages: []) { inserted } }");
        Assert.Contains("one ingestReadings or ingestMessages, once", SingleError(mixed));
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
