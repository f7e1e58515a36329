using GraphQL.Validation;
using GraphQLParser;
using GraphQLParser.AST;
using IotAspire.Api.Errors;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>
/// A subscription needs a connection that stays open: over HTTP it is refused with a pointer to the
/// WebSocket transport, instead of starting a stream nobody reads.
/// </summary>
public sealed class SubscriptionsOverWebSocketRule : ValidationRuleBase
{
    /// <summary>Set in the execution's user context by the WebSocket transport.</summary>
    public const string OverWebSocketKey = "iotaspire.overWebSocket";

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        if (context.Operation.Operation == OperationType.Subscription
            && !(context.UserContext.TryGetValue(OverWebSocketKey, out var overWebSocket) && overWebSocket is true))
        {
            context.ReportError(new SubscriptionOverHttpError(context.Document.Source, context.Operation));
        }

        return default;
    }
}

public sealed class SubscriptionOverHttpError : ValidationError
{
    public SubscriptionOverHttpError(ROM source, GraphQLOperationDefinition operation)
        : base(source, number: "subscription-over-http",
            message: "Subscriptions run over a WebSocket: connect to this URL (ws://.../graphql) with the graphql-transport-ws protocol.", operation)
    {
        Code = ApiErrors.BadUserInput;
    }
}
