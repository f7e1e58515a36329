using GraphQL;
using GraphQL.Execution;
using GraphQL.Types;
using GraphQLParser.AST;
using ExecutionContext = GraphQL.Execution.ExecutionContext;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Schema;

/// <summary>
/// Which bucket functions a <c>deviceAggregates</c> field selects, read from the request before it runs, so
/// that PostgreSQL computes only those: every <c>aggregatedValues</c> under it (aliases too), with fragments
/// and <c>@skip</c>/<c>@include</c> as GraphQL.NET applies them, and the <c>p</c> of every <c>percentile</c>.
/// </summary>
public static class BucketFunctionSelection
{
    private static readonly FieldCollector Collector = new();

    public static BucketFunctions Of(IResolveFieldContext context)
    {
        var names = new List<string>();
        var fractions = new List<double>();
        if (context.ExecutionContext is not ExecutionContext execution || ItemType(context.FieldDefinition.ResolvedType) is not IComplexGraphType aggregateType)
        {
            return BucketFunctions.FromRollups;
        }

        var aggregateFields = context.SubFields ?? Collector.Collect(execution, aggregateType, context.FieldAst.SelectionSet);
        foreach (var (_, (field, fieldType)) in aggregateFields)
        {
            if (fieldType.Name != "aggregatedValues" || field.SelectionSet is null || ItemType(fieldType.ResolvedType) is not IComplexGraphType valueType)
            {
                continue;
            }

            foreach (var (_, (valueField, valueFieldType)) in Collector.Collect(execution, valueType, field.SelectionSet))
            {
                names.Add(valueFieldType.Name);
                if (valueFieldType.Name == "percentile"
                    && ExecutionHelper.GetArguments(valueFieldType.Arguments, valueField.Arguments, context.Variables, context.Document, valueField, null) is { } arguments
                    && arguments.TryGetValue("p", out var p) && p.Value is double fraction)
                {
                    fractions.Add(fraction);
                }
            }
        }

        return BucketFunctions.Of(names, fractions);
    }

    private static IGraphType? ItemType(IGraphType? type) => type switch
    {
        NonNullGraphType nonNull => ItemType(nonNull.ResolvedType),
        ListGraphType list => ItemType(list.ResolvedType),
        _ => type,
    };

    /// <summary>Only to reach GraphQL.NET's field collection (fragments, directives), which is protected.</summary>
    private sealed class FieldCollector : ParallelExecutionStrategy
    {
        public Dictionary<string, (GraphQLField Field, FieldType FieldType)> Collect(
            ExecutionContext context, IGraphType type, GraphQLSelectionSet? selection) =>
            selection is null ? [] : CollectFieldsFrom(context, type, selection, null);
    }
}
