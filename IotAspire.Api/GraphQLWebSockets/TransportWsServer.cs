using System.Net.WebSockets;
using System.Security.Claims;
using System.Text.Json;
using GraphQL;
using GraphQL.Types;
using IotAspire.Api.Errors;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Authentication;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>
/// The <c>graphql-transport-ws</c> protocol on one connection: <c>connection_init</c> (with the token), then any
/// number of <c>subscribe</c>/<c>complete</c>, <c>ping</c>/<c>pong</c>. Split as graphql-dotnet's server splits it:
/// this class reads and answers the protocol's messages; <see cref="WebSocketChannel"/> moves them over the socket;
/// <see cref="SubscriptionOperations"/> runs each operation from <c>subscribe</c> to its end. Every refusal closes with
/// the protocol's code and a reason a person can act on.
/// </summary>
public sealed class TransportWsServer : IOperationMessages, IDisposable
{
    private readonly HttpContext http;
    private readonly IGraphQLTextSerializer serializer;
    private readonly GraphQLWebSocketOptions options;
    private readonly GraphQLHttpOptions limits;
    private readonly string replicaId;
    private readonly WebSocketChannel channel;
    private readonly SubscriptionOperations operations;
    private readonly CancellationTokenSource connection = new();   // cancelled when the connection ends
    private bool initReceived;
    private ClaimsPrincipal? user;
    private string? authorization;

    public TransportWsServer(HttpContext http, WebSocket socket, IGraphQLTextSerializer serializer,
        GraphQLWebSocketOptions options, GraphQLHttpOptions limits, string replicaId, ILogger logger)
    {
        this.http = http;
        this.serializer = serializer;
        this.options = options;
        this.limits = limits;
        this.replicaId = replicaId;
        channel = new WebSocketChannel(socket, limits.MaxRequestBodyBytes, options.MaxQueuedMessages, options.CloseTimeout, logger);
        operations = new SubscriptionOperations(this, connection.Token);
    }

    public async Task RunAsync()
    {
        _ = CloseUnlessInitialisedAsync();
        // When reading ends, every operation and its subscription ends before the queue is closed.
        await channel.RunAsync(HandleAsync, () => connection.CancelAsync(), connection.Token);
    }

    public void Dispose() => connection.Dispose();

    private async Task HandleAsync(ReadOnlyMemory<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException)
        {
            channel.RequestClose(CloseCodes.BadRequest, "Invalid message: not JSON.");
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                channel.RequestClose(CloseCodes.BadRequest, "Invalid message: a JSON object with a string 'type' is expected.");
                return;
            }

            var payload = root.TryGetProperty("payload", out var p) ? p : default;
            switch (type.GetString())
            {
                case "connection_init":
                    await InitialiseAsync(payload);
                    break;
                case "ping":
                    channel.Send(writer => writer.WriteString("type", "pong"));
                    break;
                case "pong":
                    break;
                case "subscribe":
                    await SubscribeAsync(root, payload);
                    break;
                case "complete":
                    if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                    {
                        await operations.CompleteAsync(id.GetString()!);
                    }

                    break;
                default:
                    channel.RequestClose(CloseCodes.BadRequest, $"Invalid message type '{WebSocketChannel.Truncate(type.GetString()!, 40)}'.");
                    break;
            }
        }
    }

    private async Task InitialiseAsync(JsonElement payload)
    {
        if (initReceived)
        {
            channel.RequestClose(CloseCodes.TooManyInitialisationRequests, "Too many initialisation requests");
            return;
        }

        initReceived = true;
        authorization = TokenIn(payload) ?? http.Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(authorization))
        {
            channel.RequestClose(CloseCodes.Forbidden, "Forbidden: send the access token in connection_init's payload: {\"Authorization\": \"Bearer <token>\"}.");
            return;
        }

        // The same failed-token count as HTTP requests: a socket is no way around it.
        var throttle = http.RequestServices.GetRequiredService<FailedTokenThrottle>();
        var address = ClientAddress.Of(http);
        if (throttle.RetryAfter(address) is { } wait)
        {
            channel.RequestClose(CloseCodes.Forbidden, $"Forbidden: too many requests with a token that was not valid came from this address; retry after {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s with a valid token.");
            return;
        }

        var result = await AuthenticateAsync();
        throttle.CountUnless(address, result);
        if (!result.Succeeded)
        {
            channel.RequestClose(CloseCodes.Forbidden, "Forbidden: the token is not valid (expired, revoked or unknown). Sign in again and reconnect.");
            return;
        }

        var signedIn = result;

        user = signedIn.Principal;
        var expires = signedIn.Properties?.ExpiresUtc;
        if (expires is { } at)
        {
            _ = CloseWhenExpiredAsync(at);
        }

        // Which replica serves the connection, and when it will close for the token's expiry (none for a device token).
        channel.Send(writer =>
        {
            writer.WriteString("type", "connection_ack");
            writer.WriteStartObject("payload");
            writer.WriteString("replica", replicaId);
            if (expires is { } at)
            {
                writer.WriteString("expiresAt", at);
            }

            writer.WriteEndObject();
        });
    }

    private async Task SubscribeAsync(JsonElement root, JsonElement payload)
    {
        if (user is null)
        {
            channel.RequestClose(CloseCodes.Unauthorized, "Unauthorized: send connection_init with a token and wait for connection_ack.");
            return;
        }

        if (!root.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String || idElement.GetString() is not { Length: > 0 and <= 128 } id)
        {
            channel.RequestClose(CloseCodes.BadRequest, "Invalid message: subscribe needs a string 'id' of 1 to 128 characters.");
            return;
        }

        GraphQLRequestPayload request;
        try
        {
            request = GraphQLRequestPayload.From(payload, serializer);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or GraphQL.Execution.InvalidOperationError)
        {
            channel.RequestClose(CloseCodes.BadRequest, "Invalid message: subscribe's payload needs a string 'query' (and object 'variables').");
            return;
        }

        if (operations.Contains(id))
        {
            channel.RequestClose(CloseCodes.SubscriberAlreadyExists, $"Subscriber for {WebSocketChannel.Truncate(id, 60)} already exists");
            return;
        }

        // A revoked device token or an expired access token stops here, whatever it could do when connected.
        if (!(await AuthenticateAsync()).Succeeded)
        {
            channel.RequestClose(CloseCodes.Forbidden, "Forbidden: the token is no longer valid. Sign in again and reconnect.");
            return;
        }

        if (request.Query.Length > limits.MaxQueryLength)
        {
            SendErrors(id, ApiErrors.BadUserInput, $"The GraphQL document may be at most {limits.MaxQueryLength} characters; this one has {request.Query.Length}. Pass data in variables.");
            return;
        }

        if (operations.Count >= options.MaxOperations)
        {
            SendErrors(id, ApiErrors.BadUserInput, $"A connection may run at most {options.MaxOperations} operations at once; complete one first or open another connection.");
            return;
        }

        operations.Start(id, operation => ExecuteAsync(request, operation));
    }

    private Task<ExecutionResult> ExecuteAsync(GraphQLRequestPayload request, CancellationToken operation) =>
        http.RequestServices.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(execution =>
        {
            execution.Query = request.Query;
            execution.OperationName = request.OperationName;
            execution.Variables = request.Variables;
            execution.Extensions = request.Extensions;
            execution.User = user;
            execution.UserContext[SubscriptionsOverWebSocketRule.OverWebSocketKey] = true;
            execution.RequestServices = http.RequestServices;
            execution.MaxParallelExecutionCount = limits.MaxParallelResolvers;
            // Lives as long as the operation: a subscription's stream ends when it is cancelled.
            execution.CancellationToken = operation;
        });

    private async Task<AuthenticateResult> AuthenticateAsync()
    {
        // The same schemes as for HTTP requests (access token or device token), on a request of its own:
        // authentication results are cached per request, and this one has its upgrade request's.
        await using var scope = http.RequestServices.CreateAsyncScope();
        var probe = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        probe.Request.Headers.Authorization = authorization!.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization : "Bearer " + authorization;
        return await probe.AuthenticateAsync();
    }

    /// <summary>The token in <c>connection_init</c>'s payload, in the shapes clients send it.</summary>
    private static string? TokenIn(JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in payload.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String
                && (property.NameEquals("Authorization") || property.NameEquals("authorization") || property.NameEquals("token")
                    || property.NameEquals("accessToken") || property.NameEquals("access_token")))
            {
                return property.Value.GetString();
            }

            if (property.NameEquals("headers") && TokenIn(property.Value) is { } nested)
            {
                return nested;
            }
        }

        return null;
    }

    private async Task CloseUnlessInitialisedAsync()
    {
        try
        {
            await Task.Delay(options.ConnectionInitTimeout, connection.Token);
            if (!initReceived)
            {
                channel.RequestClose(CloseCodes.ConnectionInitTimeout, "Connection initialisation timeout");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CloseWhenExpiredAsync(DateTimeOffset expires)
    {
        try
        {
            // In steps: Task.Delay takes at most ~24 days, and a token may live longer.
            for (var left = expires - DateTimeOffset.UtcNow; left > TimeSpan.Zero; left = expires - DateTimeOffset.UtcNow)
            {
                await Task.Delay(left < TimeSpan.FromDays(1) ? left : TimeSpan.FromDays(1), connection.Token);
            }

            channel.RequestClose(CloseCodes.Forbidden, "Forbidden: the access token expired. Get a new one and reconnect.");
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void SendNext(string id, ExecutionResult result)
    {
        var json = serializer.Serialize(result);
        channel.Send(writer =>
        {
            writer.WriteString("id", id);
            writer.WriteString("type", "next");
            writer.WritePropertyName("payload");
            writer.WriteRawValue(json, skipInputValidation: true);
        });
    }

    public void SendComplete(string id) => channel.Send(writer =>
    {
        writer.WriteString("id", id);
        writer.WriteString("type", "complete");
    });

    private void SendErrors(string id, string code, string message) =>
        SendErrors(id, new ExecutionResult { Errors = [new ExecutionError(message) { Code = code }] });

    public void SendErrors(string id, ExecutionResult result)
    {
        using var document = JsonDocument.Parse(serializer.Serialize(result));
        var errors = document.RootElement.TryGetProperty("errors", out var e) ? e.GetRawText() : "[]";
        channel.Send(writer =>
        {
            writer.WriteString("id", id);
            writer.WriteString("type", "error");
            writer.WritePropertyName("payload");
            writer.WriteRawValue(errors, skipInputValidation: true);
        });
    }
}
