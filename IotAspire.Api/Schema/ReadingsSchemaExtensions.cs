using GraphQL;
using GraphQL.DI;
using IotAspire.Api.Alerts;
using IotAspire.Api.Devices;
using IotAspire.Api.Ingestion;
using IotAspire.Api.RawReadings;
using IotAspire.Api.Retention;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Schema;

public static class ReadingsSchemaExtensions
{
    /// <summary>
    /// The readings schema, type-first from <see cref="Query"/>, <see cref="Mutation"/> and <see cref="Subscription"/>: its scalars, the
    /// GraphQL names of the features' records, and how the features' errors reach the caller.
    /// </summary>
    public static IGraphQLBuilder AddReadingsSchema(this IGraphQLBuilder graphQL) => graphQL
        .AddAutoSchema<Query>(schema => schema.WithMutation<Mutation>().WithSubscription<Subscription>())
        .ConfigureSchema(schema =>
        {
            schema.RegisterType(new TextGraphType());                     // String: text checked before any resolver
            schema.RegisterTypeMapping<string, TextGraphType>();
            schema.RegisterTypeMapping<Guid, UuidGraphType>();
            schema.RegisterTypeMapping<DateTimeOffset, IsoDateTimeGraphType>();
            schema.RegisterTypeMapping<SentReading, ReadingInputGraphType>();
            schema.RegisterTypeMapping<SentMessage, MessageInputGraphType>();
            schema.RegisterTypeMapping<SentValue, KeyValueInputGraphType>();
            schema.RegisterTypeMapping<Tag, TagInputGraphType>();
            schema.RegisterTypeMapping<Tag, TagGraphType>();
            schema.RegisterTypeMapping<LatestValue, LatestValueGraphType>();
            schema.RegisterTypeMapping<Aggregation.GroupAggregate, GroupAggregateGraphType>();
            schema.RegisterTypeMapping<IngestOutcome.Stored, IngestReadingsPayloadGraphType>();
            schema.RegisterTypeMapping<DeviceSummary, DeviceGraphType>();
            schema.RegisterTypeMapping<DeviceTokenSummary, DeviceTokenGraphType>();
            schema.RegisterTypeMapping<StoredReading, ReadingGraphType>();
            schema.RegisterTypeMapping<ReadingConnection, ReadingConnectionGraphType>();
            schema.RegisterTypeMapping<ReadingEdge, ReadingEdgeGraphType>();
            schema.RegisterTypeMapping<PageInfo, PageInfoGraphType>();
            schema.RegisterTypeMapping<RetentionPolicy, RetentionGraphType>();
            schema.RegisterTypeMapping<RetentionRunSummary, RetentionRunGraphType>();
            schema.RegisterTypeMapping<ReadingsStore.RollupStatus, RollupStatusGraphType>();
            schema.RegisterTypeMapping<AlertRuleSummary, AlertRuleGraphType>();
            schema.RegisterTypeMapping<AlertRecord, AlertGraphType>();
            schema.RegisterTypeMapping<AlertDeliverySummary, AlertDeliveryGraphType>();
            schema.RegisterTypeMapping<AlertWebhookSummary, AlertWebhookGraphType>();
        })
        .AddGraphTypes(typeof(Query).Assembly)
        .AddExecutionStrategy<FlatListExecutionStrategy>(GraphQLParser.AST.OperationType.Query)
        .AddErrorInfoProvider<ApiErrorInfoProvider>()
        .ConfigureExecutionOptions(options => options.UnhandledExceptionDelegate = ApiErrorInfoProvider.ExposeApiErrors);
}
