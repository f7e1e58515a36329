using GraphQL.Validation;
using GraphQLParser.AST;
using IotAspire.Api.Errors;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.GraphQLHttp;

/// <summary>
/// Bounds the work of one operation by its root fields, counted as they would execute: aliases and
/// fragments included. At most <see cref="GraphQLHttpOptions.MaxRootFields"/> of them, and one ingest field
/// (<c>ingestReadings</c> or <c>ingestMessages</c>) at most once, so that one request stores one batch, all or nothing,
/// within the batch limit. Registered for cached documents too.
/// </summary>
public sealed class RootFieldLimitsRule(IOptions<GraphQLHttpOptions> options) : ValidationRuleBase
{
    public const string IngestField = "ingestReadings";
    public const string IngestMessagesField = "ingestMessages";

    // Fragments may spread fragments; core validation refuses cycles, this bounds the walk until it has.
    private const int MaxFragmentNesting = 16;

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        var fields = new List<string>();
        Collect(context.Operation.SelectionSet, context.Document, fields, nesting: 0);

        var limit = options.Value.MaxRootFields;
        if (fields.Count > limit)
        {
            context.ReportError(new RootFieldLimitError(context, $"An operation may select at most {limit} root fields (aliases and fragments count); this one selects {fields.Count}. Send several requests instead."));
        }
        else if (fields.Count(name => name is IngestField or IngestMessagesField) > 1)
        {
            context.ReportError(new RootFieldLimitError(context, $"An operation may hold one {IngestField} or {IngestMessagesField}, once, so that a request stores one batch, all or nothing; send the values as one batch."));
        }

        return default;
    }

    private static void Collect(GraphQLSelectionSet selections, GraphQLDocument document, List<string> fields, int nesting)
    {
        if (nesting > MaxFragmentNesting)
        {
            return;
        }

        foreach (var selection in selections.Selections)
        {
            switch (selection)
            {
                case GraphQLField field:
                    fields.Add(field.Name.StringValue);
                    break;
                case GraphQLInlineFragment inline:
                    Collect(inline.SelectionSet, document, fields, nesting + 1);
                    break;
                case GraphQLFragmentSpread spread when document.Definitions.OfType<GraphQLFragmentDefinition>()
                        .FirstOrDefault(definition => definition.FragmentName.Name.Value == spread.FragmentName.Name.Value) is { } fragment:
                    Collect(fragment.SelectionSet, document, fields, nesting + 1);
                    break;
            }
        }
    }
}

/// <summary>A document that selects too much at its root; <c>BAD_USER_INPUT</c>, with the limit in the message.</summary>
public sealed class RootFieldLimitError : ValidationError
{
    public RootFieldLimitError(ValidationContext context, string message)
        : base(context.Document.Source, number: "root-field-limits", message, context.Operation)
    {
        Code = ApiErrors.BadUserInput;
    }
}
