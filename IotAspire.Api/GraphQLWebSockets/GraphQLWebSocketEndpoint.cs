using GraphQL;
using GraphQL.DI;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Api.LiveUpdates;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>
/// GraphQL over WebSocket with the graphql-transport-ws protocol (the one Banana Cake Pop and the graphql-ws
/// client speak), on the same URL as GraphQL over HTTP. Hand-written for the same reason as that transport:
/// the GraphQL.Server packages are not available here. The protocol's rules are in
/// <see cref="TransportWsServer"/> (the protocol), over a <see cref="WebSocketChannel"/> (the socket), with <see cref="SubscriptionOperations"/> (each operation).
/// </summary>
public static class GraphQLWebSocketEndpoint
{
    public const string Subprotocol = "graphql-transport-ws";

    /// <summary>The validation rule that keeps subscriptions off HTTP, and the transport's settings.</summary>
    public static IGraphQLBuilder AddWebSocketTransport(this IGraphQLBuilder graphQL) =>
        graphQL.AddValidationRule<SubscriptionsOverWebSocketRule>(useForCachedDocuments: true);

    public static WebApplication MapGraphQLWebSocket(this WebApplication app, string path)
    {
        var options = app.Services.GetRequiredService<IOptions<GraphQLWebSocketOptions>>().Value;
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval });
        app.Use(async (http, next) =>
        {
            // The IDE at /graphql/ connects to its own URL, slash included.
            if (!http.WebSockets.IsWebSocketRequest
                || !(http.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase) || http.Request.Path.Equals(path + "/", StringComparison.OrdinalIgnoreCase)))
            {
                await next(http);
                return;
            }

            var offered = http.WebSockets.WebSocketRequestedProtocols.Contains(Subprotocol);
            using var socket = await http.WebSockets.AcceptWebSocketAsync(offered ? Subprotocol : null);
            if (!offered)
            {
                // The protocol's answer to a client that does not speak it (the older subscriptions-transport-ws, say).
                await socket.CloseAsync(CloseCodes.SubprotocolNotAcceptable, $"Subprotocol not acceptable: use {Subprotocol}.", http.RequestAborted);
                return;
            }

            using var connection = new TransportWsServer(http, socket,
                http.RequestServices.GetRequiredService<IGraphQLTextSerializer>(), options,
                http.RequestServices.GetRequiredService<IOptions<GraphQLHttpOptions>>().Value,
                http.RequestServices.GetRequiredService<LiveSubscribers>().ReplicaId.ToString(),
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<TransportWsServer>());
            await connection.RunAsync();
        });
        return app;
    }
}
