using GraphQL.Validation;
using GraphQLParser;
using GraphQLParser.AST;
using IotAspire.Api.Errors;

namespace IotAspire.Api.GraphQLHttp;

/// <summary>
/// GraphQL over HTTP: a GET must not change anything, so it may run only queries. A validation rule rather
/// than a check in the endpoint, so that it runs on the document GraphQL.NET already parsed (or took from
/// the cache: it is registered for cached documents too), on the operation actually selected.
/// </summary>
public sealed class OnlyQueriesOverGetRule : ValidationRuleBase
{
    /// <summary>Set in the execution's user context by the GET handler.</summary>
    public const string SentOverGetKey = "iotaspire.sentOverGet";

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        if (context.UserContext.TryGetValue(SentOverGetKey, out var overGet) && overGet is true
            && context.Operation.Operation != OperationType.Query)
        {
            context.ReportError(new NotAQueryOverGetError(context.Document.Source, context.Operation));
        }

        return default;
    }
}

/// <summary>The error the endpoint answers with 405 Method Not Allowed.</summary>
public sealed class NotAQueryOverGetError : ValidationError
{
    public NotAQueryOverGetError(ROM source, GraphQLOperationDefinition operation)
        : base(source, number: "405", message: "A mutation must be sent with POST; GET may only carry queries.", operation)
    {
        Code = ApiErrors.BadUserInput;
    }
}
