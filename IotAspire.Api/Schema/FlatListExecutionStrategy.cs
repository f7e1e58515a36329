using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQLParser.AST;
using ExecutionContext = GraphQL.Execution.ExecutionContext;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Schema;

/// <summary>
/// GraphQL.NET's parallel execution of queries, except for the long lists of flat items the API answers: lists of
/// <c>AggregatedValue</c> (the buckets) and of <c>LatestValue</c>. Those are written to JSON in one loop over the items
/// instead of as an object node with a resolved field node per selected field per item. A week of five-minute buckets
/// for ten devices is 20 160 buckets, and the general path spent about 4 µs on each (docs/performance.md); the latest
/// values of 1 000 devices of 3 keys took 30 ms in it, ten times the statement that read them.
/// <para>
/// Only selections this loop answers exactly as the general path would take it: the item's scalar fields that take no
/// argument (<see cref="Writers"/>) and <c>__typename</c>, under any alias, through fragments and <c>@skip</c>/<c>@include</c>
/// (GraphQL.NET collects the fields; the loop only writes them). Any other selection (<c>percentile</c>, with its argument)
/// takes the general path. <c>FlatListExecutionStrategyTests</c> compares both paths' JSON.
/// </para>
/// </summary>
public sealed class FlatListExecutionStrategy : ParallelExecutionStrategy
{
    /// <summary>Writes one field of an item (its value only: the loop writes the name).</summary>
    private delegate void WriteField(Utf8JsonWriter writer, object item);

    /// <summary>Per item type the loop writes, each field it may write, by its GraphQL name.</summary>
    private static readonly Dictionary<Type, Dictionary<string, WriteField>> Writers = new()
    {
        [typeof(AggregatedValue)] = new(StringComparer.Ordinal)
        {
            ["from"] = (writer, item) => WriteTime(writer, ((AggregatedValue)item).From),
            ["value"] = (writer, item) => WriteNumber(writer, ((AggregatedValue)item).Value),
            ["mean"] = (writer, item) => WriteNumber(writer, ((AggregatedValue)item).Mean),
            ["min"] = (writer, item) => WriteNumber(writer, ((AggregatedValue)item).Min),
            ["max"] = (writer, item) => WriteNumber(writer, ((AggregatedValue)item).Max),
            ["sum"] = (writer, item) => WriteNumber(writer, ((AggregatedValue)item).Sum),
            ["count"] = (writer, item) => writer.WriteNumberValue(((AggregatedValue)item).Count),
            ["stddev"] = (writer, item) => WriteNumber(writer, ((AggregatedValue)item).Stddev),
            ["first"] = (writer, item) => WriteNumber(writer, ((AggregatedValue)item).First),
            ["last"] = (writer, item) => WriteNumber(writer, ((AggregatedValue)item).Last),
        },
        [typeof(LatestValue)] = new(StringComparer.Ordinal)
        {
            ["deviceId"] = (writer, item) => writer.WriteStringValue(((LatestValue)item).DeviceId),   // the UUID scalar's form ("D")
            ["key"] = (writer, item) => writer.WriteStringValue(((LatestValue)item).Key),
            ["timestamp"] = (writer, item) => WriteTime(writer, ((LatestValue)item).Timestamp),
            ["value"] = (writer, item) => writer.WriteNumberValue(((LatestValue)item).Value),
        },
    };

    protected override void SetSubFieldNodes(ExecutionContext context, ObjectExecutionNode parent)
    {
        base.SetSubFieldNodes(context, parent);
        var subFields = parent.SubFields!;
        for (var i = 0; i < subFields.Length; i++)
        {
            if (subFields[i] is ArrayExecutionNode { Field: { SelectionSet: { } selection } field, FieldDefinition: { } definition }
                && ItemType(definition) is IComplexGraphType itemType && SourceType(itemType) is { } source && Writers.TryGetValue(source, out var writers)
                && Columns(context, itemType, writers, CollectFieldsFrom(context, itemType, selection, null)) is { } columns)
            {
                subFields[i] = new FlatListNode(parent, field, definition, columns);
            }
        }
    }

    private static IGraphType? ItemType(FieldType definition)
    {
        var type = definition.ResolvedType is NonNullGraphType nonNullList ? nonNullList.ResolvedType : definition.ResolvedType;
        var item = (type as ListGraphType)?.ResolvedType;
        return item is NonNullGraphType nonNullItem ? nonNullItem.ResolvedType : item;
    }

    /// <summary>The CLR type of the items, for graph types made from one by GraphQL.NET (<c>AutoRegisteringObjectGraphType&lt;T&gt;</c>).</summary>
    private static Type? SourceType(IComplexGraphType itemType)
    {
        for (var type = itemType.GetType(); type is not null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(AutoRegisteringObjectGraphType<>))
            {
                return type.GetGenericArguments()[0];
            }
        }

        return null;
    }

    /// <summary>What to write for each item, in the selection's order; null when the loop cannot answer it.</summary>
    private static Column[]? Columns(
        ExecutionContext context, IComplexGraphType itemType, Dictionary<string, WriteField> writers, Dictionary<string, (GraphQLField Field, FieldType FieldType)> fields)
    {
        var columns = new Column[fields.Count];
        var i = 0;
        foreach (var (responseName, (_, fieldType)) in fields)
        {
            WriteField? write = fieldType == context.Schema.TypeNameMetaFieldType ? TypeNameWriter(itemType.Name)
                : fieldType == itemType.GetField(fieldType.Name) && writers.TryGetValue(fieldType.Name, out var own) ? own
                : null;
            if (write is null)
            {
                return null;
            }

            // Response names are GraphQL names ([_A-Za-z][_0-9A-Za-z]*): nothing in them needs escaping.
            columns[i++] = new Column(JsonEncodedText.Encode(responseName), write);
        }

        return columns;
    }

    private static WriteField TypeNameWriter(string typeName)
    {
        var name = JsonEncodedText.Encode(typeName);
        return (writer, _) => writer.WriteStringValue(name);
    }

    private readonly record struct Column(JsonEncodedText Name, WriteField Write);

    /// <summary>A leaf to GraphQL.NET: its resolver returns the list and the serializer writes <see cref="Items"/>.</summary>
    private sealed class FlatListNode(ExecutionNode parent, GraphQLField field, FieldType definition, Column[] columns)
        : ValueExecutionNode(parent, PassThrough, field, definition, indexInParentNode: null)
    {
        private static readonly PassThroughGraphType PassThrough = new();

        public override object? ToValue() => Result is IEnumerable items ? new Items(items, columns) : null;
    }

    /// <summary>Never in the schema: carries the resolved list, unchanged, to <see cref="FlatListNode.ToValue"/>.</summary>
    private sealed class PassThroughGraphType : ScalarGraphType
    {
        public PassThroughGraphType() => Name = "FlatList";

        public override object? Serialize(object? value) => value;

        public override object? ParseLiteral(GraphQLValue value) => throw new NotSupportedException("Output only.");

        public override object? ParseValue(object? value) => throw new NotSupportedException("Output only.");
    }

    [JsonConverter(typeof(ItemsConverter))]
    private sealed record Items(IEnumerable Values, Column[] Columns);

    private sealed class ItemsConverter : JsonConverter<Items>
    {
        public override Items Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Output only.");

        public override void Write(Utf8JsonWriter writer, Items value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var item in value.Values)
            {
                writer.WriteStartObject();
                foreach (var column in value.Columns)
                {
                    writer.WritePropertyName(column.Name);
                    column.Write(writer, item!);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
    }

    private static void WriteTime(Utf8JsonWriter writer, DateTimeOffset time)
    {
        Span<char> text = stackalloc char[IsoDateTimeGraphType.MaxFormattedLength];
        writer.WriteStringValue(text[..IsoDateTimeGraphType.Format(time, text)]);
    }

    private static void WriteNumber(Utf8JsonWriter writer, double? number)
    {
        if (number is { } value)
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
