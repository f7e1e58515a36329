using System.Net.WebSockets;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>
/// The close codes of the graphql-transport-ws protocol (github.com/enisdenjo/graphql-ws, PROTOCOL.md), and
/// the standard ones this server also uses. A client library retries after any code but the "fatal" ones
/// (4400, 4401, 4406, 4409, 4429, 4500): 4403 and 1013 are retried on purpose.
/// </summary>
public static class CloseCodes
{
    public const WebSocketCloseStatus BadRequest = (WebSocketCloseStatus)4400;
    public const WebSocketCloseStatus Unauthorized = (WebSocketCloseStatus)4401;

    /// <summary>The token in <c>connection_init</c> is missing or not valid, or it expired while connected.</summary>
    public const WebSocketCloseStatus Forbidden = (WebSocketCloseStatus)4403;
    public const WebSocketCloseStatus SubprotocolNotAcceptable = (WebSocketCloseStatus)4406;
    public const WebSocketCloseStatus ConnectionInitTimeout = (WebSocketCloseStatus)4408;
    public const WebSocketCloseStatus SubscriberAlreadyExists = (WebSocketCloseStatus)4409;
    public const WebSocketCloseStatus TooManyInitialisationRequests = (WebSocketCloseStatus)4429;

    /// <summary>The client reads slower than its subscriptions produce (back-pressure): WebSocket's "try again later".</summary>
    public const WebSocketCloseStatus TooSlow = (WebSocketCloseStatus)1013;

    /// <summary>A message larger than the request body limit.</summary>
    public const WebSocketCloseStatus MessageTooBig = WebSocketCloseStatus.MessageTooBig;
}
