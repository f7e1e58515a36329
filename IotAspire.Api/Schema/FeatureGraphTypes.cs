using GraphQL.Types;
using IotAspire.Api.Alerts;
using IotAspire.Api.Devices;
using IotAspire.Api.Ingestion;
using IotAspire.Api.RawReadings;
using IotAspire.Api.Retention;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Schema;

// The features' plain records under their GraphQL names, so the features need no GraphQL attributes and
// the schema reads as the contract (schema.graphql) says. Fields come from the records' properties.

/// <summary>What the ingest inputs share: their records are built from the scalars' own values.</summary>
internal static class IngestInputFields
{
    /// <summary>
    /// GraphQL.NET gives each field of an auto-registered input a parser that checks the scalar's value against the
    /// property's type by reflection (<c>Type.IsInstanceOfType</c>, a miss of the runtime's cast cache every time): 9.5 %
    /// of the API's CPU under the smart-meter ingest, 4 000 values a batch (bench/results/2026-12-07-telemetry-keys.md,
    /// "Fifth pass"). The ingest inputs build their records from the scalars' values themselves (ParseDictionary), so
    /// their fields need no parser.
    /// </summary>
    public static void DropParsers(IInputObjectGraphType type)
    {
        foreach (var field in type.Fields)
        {
            field.Parser = null;
        }
    }

    public static double Number(object? value) => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary><c>input ReadingInput</c>: a <see cref="SentReading"/>; <c>key</c> defaults to <c>reading</c>, as before keys.</summary>
public sealed class ReadingInputGraphType : AutoRegisteringInputObjectGraphType<SentReading>
{
    public ReadingInputGraphType()
    {
        Name = "ReadingInput";
        Fields.First(field => string.Equals(field.Name, "key", StringComparison.OrdinalIgnoreCase)).DefaultValue = Readings.TelemetryKey.Default;
        IngestInputFields.DropParsers(this);
    }

    public override object ParseDictionary(IDictionary<string, object?> value) => new SentReading(
        (DateTimeOffset)value["timestamp"]!, IngestInputFields.Number(value["reading"]), (Guid)value["deviceId"]!,
        value.TryGetValue("customerId", out var customerId) ? (Guid?)customerId : null,
        value.TryGetValue("key", out var key) ? (string?)key : null);
}

/// <summary>
/// <c>input MessageInput</c>: a <see cref="SentMessage"/>, built here from the fields GraphQL.NET has already parsed
/// (each value a <see cref="SentValue"/>). Its own conversion turned each message's <c>values</c> into a typed list
/// through a reflection-made array (the field's parser), about a fifth of the API's time on a batch of 1 000 messages
/// (profiled, bench/results/2026-12-07-telemetry-keys.md): that parser is dropped and the list taken as it is, as
/// every field's (<see cref="IngestInputFields.DropParsers"/>).
/// </summary>
public sealed class MessageInputGraphType : AutoRegisteringInputObjectGraphType<SentMessage>
{
    public MessageInputGraphType()
    {
        Name = "MessageInput";
        IngestInputFields.DropParsers(this);
    }

    public override object ParseDictionary(IDictionary<string, object?> value) => new SentMessage(
        (Guid)value["deviceId"]!, (DateTimeOffset)value["timestamp"]!, Values(value["values"]),
        value.TryGetValue("customerId", out var customerId) ? (Guid?)customerId : null);

    private static SentValue[] Values(object? values) => values switch
    {
        SentValue[] typed => typed,
        object?[] items => Array.ConvertAll(items, item => (SentValue)item!),
        IEnumerable<object?> items => [.. items.Cast<SentValue>()],
        SentValue one => [one],
        _ => [],
    };
}

/// <summary><c>input KeyValueInput</c>: a <see cref="SentValue"/>, built directly as <see cref="MessageInputGraphType"/> is.</summary>
public sealed class KeyValueInputGraphType : AutoRegisteringInputObjectGraphType<SentValue>
{
    public KeyValueInputGraphType()
    {
        Name = "KeyValueInput";
        IngestInputFields.DropParsers(this);
    }

    public override object ParseDictionary(IDictionary<string, object?> value) =>
        new SentValue((string)value["key"]!, IngestInputFields.Number(value["value"]));
}

/// <summary><c>input TagInput</c>: a <see cref="Tag"/> to set or to filter by.</summary>
public sealed class TagInputGraphType : AutoRegisteringInputObjectGraphType<Tag>
{
    public TagInputGraphType() => Name = "TagInput";
}

/// <summary><c>type Tag</c>: a device's <see cref="Tag"/>.</summary>
public sealed class TagGraphType : AutoRegisteringObjectGraphType<Tag>
{
    public TagGraphType() => Name = "Tag";
}

/// <summary><c>type LatestValue</c>: a <see cref="ReadingsStore.LatestValue"/>.</summary>
public sealed class LatestValueGraphType : AutoRegisteringObjectGraphType<LatestValue>
{
    public LatestValueGraphType() => Name = "LatestValue";
}

/// <summary><c>type GroupAggregate</c>: a <see cref="Aggregation.GroupAggregate"/>.</summary>
public sealed class GroupAggregateGraphType : AutoRegisteringObjectGraphType<Aggregation.GroupAggregate>
{
    public GroupAggregateGraphType() => Name = "GroupAggregate";
}

/// <summary><c>type IngestReadingsPayload</c>: an <see cref="IngestOutcome.Stored"/>.</summary>
public sealed class IngestReadingsPayloadGraphType : AutoRegisteringObjectGraphType<IngestOutcome.Stored>
{
    public IngestReadingsPayloadGraphType() => Name = "IngestReadingsPayload";
}

/// <summary><c>type Device</c>: a <see cref="DeviceSummary"/>.</summary>
public sealed class DeviceGraphType : AutoRegisteringObjectGraphType<DeviceSummary>
{
    public DeviceGraphType() => Name = "Device";
}

/// <summary><c>type DeviceToken</c>: a <see cref="DeviceTokenSummary"/>.</summary>
public sealed class DeviceTokenGraphType : AutoRegisteringObjectGraphType<DeviceTokenSummary>
{
    public DeviceTokenGraphType() => Name = "DeviceToken";
}

/// <summary><c>type Reading</c>: a <see cref="StoredReading"/>.</summary>
public sealed class ReadingGraphType : AutoRegisteringObjectGraphType<StoredReading>
{
    public ReadingGraphType() => Name = "Reading";
}

/// <summary><c>type Retention</c>: a <see cref="RetentionPolicy"/>.</summary>
public sealed class RetentionGraphType : AutoRegisteringObjectGraphType<RetentionPolicy>
{
    public RetentionGraphType() => Name = "Retention";
}

/// <summary><c>type RetentionRun</c>: a <see cref="RetentionRunSummary"/>.</summary>
public sealed class RetentionRunGraphType : AutoRegisteringObjectGraphType<RetentionRunSummary>
{
    public RetentionRunGraphType() => Name = "RetentionRun";
}

/// <summary><c>type RollupStatus</c>: a <see cref="ReadingsStore.RollupStatus"/>.</summary>
public sealed class RollupStatusGraphType : AutoRegisteringObjectGraphType<ReadingsStore.RollupStatus>
{
    public RollupStatusGraphType() => Name = "RollupStatus";
}

/// <summary><c>type ReadingConnection</c>: a page of raw readings (<see cref="RawReadings.ReadingConnection"/>).</summary>
public sealed class ReadingConnectionGraphType : AutoRegisteringObjectGraphType<ReadingConnection>
{
    public ReadingConnectionGraphType() => Name = "ReadingConnection";
}

/// <summary><c>type ReadingEdge</c>: a <see cref="RawReadings.ReadingEdge"/>.</summary>
public sealed class ReadingEdgeGraphType : AutoRegisteringObjectGraphType<ReadingEdge>
{
    public ReadingEdgeGraphType() => Name = "ReadingEdge";
}

/// <summary><c>type PageInfo</c>: Relay's, a <see cref="RawReadings.PageInfo"/>.</summary>
public sealed class PageInfoGraphType : AutoRegisteringObjectGraphType<PageInfo>
{
    public PageInfoGraphType() => Name = "PageInfo";
}

/// <summary><c>type AlertRule</c>: an <see cref="AlertRuleSummary"/>.</summary>
public sealed class AlertRuleGraphType : AutoRegisteringObjectGraphType<AlertRuleSummary>
{
    public AlertRuleGraphType() => Name = "AlertRule";
}

/// <summary><c>type Alert</c>: an <see cref="AlertRecord"/>.</summary>
public sealed class AlertGraphType : AutoRegisteringObjectGraphType<AlertRecord>
{
    public AlertGraphType() => Name = "Alert";
}

/// <summary><c>type AlertDelivery</c>: an <see cref="AlertDeliverySummary"/>.</summary>
public sealed class AlertDeliveryGraphType : AutoRegisteringObjectGraphType<AlertDeliverySummary>
{
    public AlertDeliveryGraphType() => Name = "AlertDelivery";
}

/// <summary><c>type AlertWebhook</c>: an <see cref="AlertWebhookSummary"/>.</summary>
public sealed class AlertWebhookGraphType : AutoRegisteringObjectGraphType<AlertWebhookSummary>
{
    public AlertWebhookGraphType() => Name = "AlertWebhook";
}
