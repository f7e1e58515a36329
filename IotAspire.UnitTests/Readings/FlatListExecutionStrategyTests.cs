using GraphQL;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQLParser.AST;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Api.Schema;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.Readings;

/// <summary>
/// The loop of <see cref="FlatListExecutionStrategy"/> writes what GraphQL.NET's own execution writes, byte for byte,
/// for every way a document can select the fields of an <c>AggregatedValue</c> or a <c>LatestValue</c>.
/// Both run the same schema types and serializer over the same in-memory answer.
/// </summary>
public sealed class FlatListExecutionStrategyTests : IDisposable
{
    private static readonly IReadOnlyList<DeviceAggregate> Answer =
    [
        new(Guid.Parse("71bf19cb-e7e7-4334-af31-5ebba56a655d"), Guid.Parse("0b6a4a5e-3b41-4a0c-9a11-0c9d2b8f0e01"),
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero), 5,
            [
                new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), 21.5, 20, 23, 43, 2, 2.1213203435596424, 23, 20),
                new(new DateTimeOffset(2026, 1, 1, 0, 5, 0, TimeSpan.Zero), -0.1, -0.1, -0.1, -0.1, 1),
                new(new DateTimeOffset(2026, 1, 1, 0, 10, 0, TimeSpan.Zero).AddTicks(9_509_010), 1e300),
                new(new DateTimeOffset(2026, 1, 1, 2, 0, 0, TimeSpan.FromHours(2)), double.Epsilon),
                new(new DateTimeOffset(2026, 1, 1, 0, 20, 0, TimeSpan.Zero), null),
                new(new DateTimeOffset(2026, 1, 1, 0, 25, 0, TimeSpan.Zero), 1.0 / 3),
                new(new DateTimeOffset(2026, 1, 1, 0, 30, 0, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(-210)), 4, First: -1e-7, Last: 1e15),
                new(new DateTimeOffset(2026, 1, 1, 0, 35, 0, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(345)), 4),
            ]),
        new(Guid.Parse("00000000-0000-4000-8000-000000000002"), Guid.Parse("0b6a4a5e-3b41-4a0c-9a11-0c9d2b8f0e01"),
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero), 5, []),
    ];

    private static readonly IReadOnlyList<LatestValue> Latest =
    [
        new(Guid.Parse("71bf19cb-e7e7-4334-af31-5ebba56a655d"), "temperature", new DateTimeOffset(2026, 1, 1, 0, 10, 0, TimeSpan.Zero).AddTicks(9_509_010), 21.5),
        new(Guid.Parse("00000000-0000-4000-8000-000000000002"), "power.l1", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), -1e-7),
        new(Guid.Parse("00000000-0000-4000-8000-000000000002"), "reading", new DateTimeOffset(2025, 12, 31, 23, 59, 59, TimeSpan.Zero), 1e300),
    ];

    private readonly ServiceProvider general = Services(withFlatListLoop: false);
    private readonly ServiceProvider withLoop = Services(withFlatListLoop: true);

    public void Dispose()
    {
        general.Dispose();
        withLoop.Dispose();
    }

    [Theory]
    [InlineData("{ deviceAggregates { deviceId aggregatedValues { from value } } }", null)]
    [InlineData("{ deviceAggregates { aggregatedValues { value from } } }", null)]
    [InlineData("{ a: deviceAggregates { aggregatedValues { When: from v: value __typename from } } b: deviceAggregates { x: aggregatedValues { value } } }", null)]
    [InlineData("query($skip: Boolean!) { deviceAggregates { aggregatedValues { ...F value @skip(if: $skip) } } } fragment F on AggregatedValue { from }", """{"skip": true}""")]
    [InlineData("query($skip: Boolean!) { deviceAggregates { aggregatedValues { ...F value @skip(if: $skip) } } } fragment F on AggregatedValue { from }", """{"skip": false}""")]
    [InlineData("query($on: Boolean!) { deviceAggregates { aggregatedValues { ... on AggregatedValue { value } ... @include(if: $on) { from } } } }", """{"on": true}""")]
    [InlineData("query($on: Boolean!) { deviceAggregates { aggregatedValues { ... on AggregatedValue { value } ... @include(if: $on) { from } } } }", """{"on": false}""")]
    [InlineData("{ deviceAggregates { aggregatedValues { __typename } } }", null)]
    [InlineData("{ deviceAggregates { aggregatedValues { from mean min max sum count value } } }", null)]
    [InlineData("{ deviceAggregates { aggregatedValues { lo: min hi: max n: count ...S } } } fragment S on AggregatedValue { total: sum avg: mean }", null)]
    [InlineData("{ deviceAggregates { aggregatedValues { from sd: stddev first last stddev } } }", null)]
    [InlineData("{ latest { deviceId key timestamp value } }", null)]
    [InlineData("{ latest { v: value __typename t: timestamp ...F } } fragment F on LatestValue { key deviceId }", null)]
    [InlineData("query($skip: Boolean!) { latest { key value @skip(if: $skip) } a: latest { value } }", """{"skip": true}""")]
    public async Task The_loop_writes_what_the_general_execution_writes(string query, string? variables)
    {
        var (expected, generalUsedLoop) = await RunAsync(general, query, variables);
        var (actual, loopUsedLoop) = await RunAsync(withLoop, query, variables);

        Assert.False(generalUsedLoop);
        Assert.True(loopUsedLoop, "The strategy should have written the buckets itself.");
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task The_loop_writes_a_latest_value_in_the_scalars_formats()
    {
        var (json, _) = await RunAsync(withLoop, "{ latest { deviceId key timestamp value } }", null);

        Assert.Contains("""{"deviceId":"71bf19cb-e7e7-4334-af31-5ebba56a655d","key":"temperature","timestamp":"2026-01-01T00:10:00.950901+00:00","value":21.5}""", json);
        Assert.Contains("""{"deviceId":"00000000-0000-4000-8000-000000000002","key":"power.l1","timestamp":"2026-01-01T00:00:00+00:00","value":-1E-07}""", json);
    }

    /// <summary>The loop recognises the list by its item type: the product's schema must give it that type.</summary>
    [Fact]
    public void The_product_schema_gives_aggregatedValues_the_item_type_the_loop_recognises()
    {
        var services = new ServiceCollection();
        services.AddGraphQL(graphQL => graphQL.AddReadingsSchema().AddHttpTransport());
        using var provider = services.BuildServiceProvider();
        var schema = provider.GetRequiredService<ISchema>();
        schema.Initialize();

        Assert.IsType<AutoRegisteringObjectGraphType<AggregatedValue>>(schema.AllTypes["AggregatedValue"]);
        Assert.IsAssignableFrom<AutoRegisteringObjectGraphType<LatestValue>>(schema.AllTypes["LatestValue"]);
        Assert.Contains(provider.GetServices<ExecutionStrategyRegistration>(),
            registration => registration.Strategy is FlatListExecutionStrategy && registration.Operation == OperationType.Query);
    }

    [Fact]
    public async Task The_loop_writes_the_scalars_formats()
    {
        var (json, _) = await RunAsync(withLoop, "{ deviceAggregates { aggregatedValues { from value } } }", null);

        Assert.Contains("""{"from":"2026-01-01T00:10:00.950901+00:00","value":1E+300}""", json);
        Assert.Contains("""{"from":"2026-01-01T02:00:00+02:00","value":5E-324}""", json);   // an answer in a time zone
        Assert.Contains("""{"from":"2025-12-31T21:00:00-03:30","value":4}""", json);
        Assert.Contains("""{"from":"2026-01-01T06:20:00+05:45","value":4}""", json);
        Assert.Contains("""{"from":"2026-01-01T00:20:00+00:00","value":null}""", json);
        Assert.Contains("\"aggregatedValues\":[]", json);
    }

    [Fact]
    public async Task The_selection_names_each_selected_function_and_every_percentile_once()
    {
        BucketFunctions? seen = null;
        using var services = Services(withFlatListLoop: true, context => seen = BucketFunctionSelection.Of(context));
        await RunAsync(services, """
            query($p: Float!, $skip: Boolean!) {
              a: deviceAggregates { aggregatedValues { from p50: percentile(p: 0.5) p: percentile(p: $p) ...F max @skip(if: $skip) } }
            }
            fragment F on AggregatedValue { count twice: percentile(p: 0.5) }
            """, """{"p": 0.99, "skip": true}""");

        Assert.Equal(BucketFunction.Count | BucketFunction.Percentiles, seen!.Selected);
        Assert.Equal([0.5, 0.99], seen.PercentileFractions);

        await RunAsync(services, "{ deviceAggregates { deviceId x: aggregatedValues { mean } y: aggregatedValues { stddev first } } }", null);
        Assert.Equal(BucketFunction.Mean | BucketFunction.Stddev | BucketFunction.First, seen.Selected);
        Assert.Empty(seen.PercentileFractions);

        await RunAsync(services, "{ deviceAggregates { deviceId } }", null);
        Assert.Equal(BucketFunction.None, seen.Selected);
    }

    [Fact]
    public async Task A_percentile_outside_0_to_1_is_refused_before_anything_runs()
    {
        using var services = Services(withFlatListLoop: true, context => BucketFunctionSelection.Of(context));
        var result = await services.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(options =>
        {
            options.Query = "{ deviceAggregates { aggregatedValues { percentile(p: 1.5) } } }";
            options.RequestServices = services;
        });

        Assert.Contains("p must be between 0 and 1", Assert.Single(result.Errors!).Message);
    }

    private static async Task<(string Json, bool UsedLoop)> RunAsync(ServiceProvider services, string query, string? variables)
    {
        var serializer = services.GetRequiredService<IGraphQLTextSerializer>();
        var result = await services.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(options =>
        {
            options.Query = query;
            options.Variables = variables is null ? null : serializer.Deserialize<Inputs>(variables);
            options.RequestServices = services;
        });
        Assert.Null(result.Errors);
        return (serializer.Serialize(result), UsesLoop(result.Data as ExecutionNode));
    }

    private static bool UsesLoop(ExecutionNode? node) => node switch
    {
        null => false,
        ObjectExecutionNode o => o.SubFields?.Any(UsesLoop) == true,
        ArrayExecutionNode a => a.Items?.Any(UsesLoop) == true,
        _ => node.GetType().Name == "FlatListNode",
    };

    private static ServiceProvider Services(bool withFlatListLoop, Action<IResolveFieldContext>? onResolve = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Options.Create(new GraphQLHttpOptions()));
        services.AddGraphQL(graphQL =>
        {
            graphQL.AddSchema(_ => AnswerSchema(onResolve)).AddHttpTransport().AddErrorInfoProvider<ApiErrorInfoProvider>()
                .ConfigureExecutionOptions(options => options.UnhandledExceptionDelegate = ApiErrorInfoProvider.ExposeApiErrors);
            if (withFlatListLoop)
            {
                graphQL.AddExecutionStrategy<FlatListExecutionStrategy>(OperationType.Query);
            }
        });
        return services.BuildServiceProvider();
    }

    // The product's types for DeviceAggregate, AggregatedValue and LatestValue, resolved from memory instead of PostgreSQL.
    private static Schema AnswerSchema(Action<IResolveFieldContext>? onResolve)
    {
        var schema = new Schema();
        schema.RegisterTypeMapping<Guid, UuidGraphType>();
        schema.RegisterTypeMapping<DateTimeOffset, IsoDateTimeGraphType>();
        schema.RegisterTypeMapping<AggregatedValue, AutoRegisteringObjectGraphType<AggregatedValue>>();
        schema.RegisterTypeMapping<DeviceAggregate, AutoRegisteringObjectGraphType<DeviceAggregate>>();
        schema.RegisterTypeMapping<LatestValue, LatestValueGraphType>();
        var query = new ObjectGraphType { Name = "Query" };
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<GraphQLClrOutputTypeReference<DeviceAggregate>>>>>("deviceAggregates")
            .Resolve(context =>
            {
                onResolve?.Invoke(context);
                return Answer;
            });
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<GraphQLClrOutputTypeReference<LatestValue>>>>>("latest").Resolve(_ => Latest);
        schema.Query = query;
        return schema;
    }
}
