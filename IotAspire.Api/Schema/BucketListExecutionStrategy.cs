using System.Text.Json;
using System.Text.Json.Serialization;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQLParser.AST;
using ExecutionContext = GraphQL.Execution.ExecutionContext;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Schema;

/// <summary>
/// GraphQL.NET's parallel execution of queries, except for lists of <c>AggregatedValue</c>: those are written
/// to JSON in one loop over the buckets instead of as an object node with a resolved field node per
/// selected field per bucket. A week of five-minute buckets for ten devices is 20 160 buckets; the general
/// path spent about 4 µs on each (docs/performance.md).
/// <para>
/// Only selections this loop answers exactly as the general path would take it: <c>from</c>, <c>value</c>,
/// <c>mean</c>, <c>min</c>, <c>max</c>, <c>sum</c>, <c>count</c>, <c>stddev</c>, <c>first</c>, <c>last</c> and <c>__typename</c>, under any alias, through fragments and <c>@skip</c>/<c>@include</c> (GraphQL.NET
/// collects the fields; the loop only writes them). Any other selection (<c>percentile</c>, with its argument) takes the general path.
/// <c>BucketListExecutionStrategyTests</c> compares both paths' JSON.
/// </para>
/// </summary>
public sealed class BucketListExecutionStrategy : ParallelExecutionStrategy
{
    protected override void SetSubFieldNodes(ExecutionContext context, ObjectExecutionNode parent)
    {
        base.SetSubFieldNodes(context, parent);
        var subFields = parent.SubFields!;
        for (var i = 0; i < subFields.Length; i++)
        {
            if (subFields[i] is ArrayExecutionNode { Field: { SelectionSet: { } selection } field, FieldDefinition: { } definition }
                && ItemType(definition) is AutoRegisteringObjectGraphType<AggregatedValue> itemType
                && Columns(context, itemType, CollectFieldsFrom(context, itemType, selection, null)) is { } columns)
            {
                subFields[i] = new BucketListNode(parent, field, definition, columns);
            }
        }
    }

    private static IGraphType? ItemType(FieldType definition)
    {
        var type = definition.ResolvedType is NonNullGraphType nonNullList ? nonNullList.ResolvedType : definition.ResolvedType;
        var item = (type as ListGraphType)?.ResolvedType;
        return item is NonNullGraphType nonNullItem ? nonNullItem.ResolvedType : item;
    }

    /// <summary>What to write for each bucket, in the selection's order; null when the loop cannot answer it.</summary>
    private static Column[]? Columns(
        ExecutionContext context, AutoRegisteringObjectGraphType<AggregatedValue> itemType, Dictionary<string, (GraphQLField Field, FieldType FieldType)> fields)
    {
        var columns = new Column[fields.Count];
        var i = 0;
        foreach (var (responseName, (_, fieldType)) in fields)
        {
            ColumnKind? kind = fieldType == context.Schema.TypeNameMetaFieldType ? ColumnKind.TypeName
                : fieldType != itemType.GetField(fieldType.Name) ? null
                : fieldType.Name switch
                {
                    "from" => ColumnKind.From,
                    "value" or "mean" => ColumnKind.Value,
                    "min" => ColumnKind.Min,
                    "max" => ColumnKind.Max,
                    "sum" => ColumnKind.Sum,
                    "count" => ColumnKind.Count,
                    "stddev" => ColumnKind.Stddev,
                    "first" => ColumnKind.First,
                    "last" => ColumnKind.Last,
                    _ => null,
                };
            if (kind is null)
            {
                return null;
            }

            // Response names are GraphQL names ([_A-Za-z][_0-9A-Za-z]*): nothing in them needs escaping.
            columns[i++] = new Column(JsonEncodedText.Encode(responseName), kind.Value);
        }

        return columns;
    }

    private enum ColumnKind { From, Value, Min, Max, Sum, Count, Stddev, First, Last, TypeName }

    private readonly record struct Column(JsonEncodedText Name, ColumnKind Kind);

    /// <summary>A leaf to GraphQL.NET: its resolver returns the list and the serializer writes <see cref="Buckets"/>.</summary>
    private sealed class BucketListNode(ExecutionNode parent, GraphQLField field, FieldType definition, Column[] columns)
        : ValueExecutionNode(parent, PassThrough, field, definition, indexInParentNode: null)
    {
        private static readonly PassThroughGraphType PassThrough = new();

        public override object? ToValue() => Result is IReadOnlyList<AggregatedValue> buckets ? new Buckets(buckets, columns) : null;
    }

    /// <summary>Never in the schema: carries the resolved list, unchanged, to <see cref="BucketListNode.ToValue"/>.</summary>
    private sealed class PassThroughGraphType : ScalarGraphType
    {
        public PassThroughGraphType() => Name = "AggregatedValueList";

        public override object? Serialize(object? value) => value;

        public override object? ParseLiteral(GraphQLValue value) => throw new NotSupportedException("Output only.");

        public override object? ParseValue(object? value) => throw new NotSupportedException("Output only.");
    }

    [JsonConverter(typeof(BucketsConverter))]
    private sealed record Buckets(IReadOnlyList<AggregatedValue> Values, Column[] Columns);

    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("AggregatedValue");

    private sealed class BucketsConverter : JsonConverter<Buckets>
    {
        public override Buckets Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Output only.");

        public override void Write(Utf8JsonWriter writer, Buckets value, JsonSerializerOptions options)
        {
            Span<char> text = stackalloc char[IsoDateTimeGraphType.MaxFormattedLength];
            writer.WriteStartArray();
            foreach (var bucket in value.Values)
            {
                writer.WriteStartObject();
                foreach (var column in value.Columns)
                {
                    writer.WritePropertyName(column.Name);
                    switch (column.Kind)
                    {
                        case ColumnKind.From:
                            writer.WriteStringValue(text[..IsoDateTimeGraphType.Format(bucket.From, text)]);
                            break;
                        case ColumnKind.Value:
                            WriteNumber(writer, bucket.Value);
                            break;
                        case ColumnKind.Min:
                            WriteNumber(writer, bucket.Min);
                            break;
                        case ColumnKind.Max:
                            WriteNumber(writer, bucket.Max);
                            break;
                        case ColumnKind.Sum:
                            WriteNumber(writer, bucket.Sum);
                            break;
                        case ColumnKind.Count:
                            writer.WriteNumberValue(bucket.Count);
                            break;
                        case ColumnKind.Stddev:
                            WriteNumber(writer, bucket.Stddev);
                            break;
                        case ColumnKind.First:
                            WriteNumber(writer, bucket.First);
                            break;
                        case ColumnKind.Last:
                            WriteNumber(writer, bucket.Last);
                            break;
                        default:
                            writer.WriteStringValue(TypeName);
                            break;
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
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
}
