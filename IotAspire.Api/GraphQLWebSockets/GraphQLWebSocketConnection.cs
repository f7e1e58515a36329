using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using GraphQL;
using GraphQL.Types;
using IotAspire.Api.Errors;
using IotAspire.Api.GraphQLHttp;
using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Authentication;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>
/// One client's graphql-transport-ws connection: <c>connection_init</c> (with the token), then any number of
/// <c>subscribe</c>/<c>complete</c>, <c>ping</c>/<c>pong</c>. Messages are read in one loop and written in
/// another, through a bounded queue: a client too slow to read is closed with <see cref="CloseCodes.TooSlow"/>.
/// Every refusal closes with the protocol's code and a reason a person can act on (at most 123 bytes).
/// </summary>
public sealed class GraphQLWebSocketConnection : IDisposable
{
    private readonly HttpContext http;
    private readonly WebSocket socket;
    private readonly IGraphQLTextSerializer serializer;
    private readonly GraphQLWebSocketOptions options;
    private readonly GraphQLHttpOptions limits;
    private readonly string replicaId;
    private readonly ILogger logger;
    private readonly Channel<byte[]> outgoing;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> operations = new();
    private readonly CancellationTokenSource connection = new();   // cancelled when the connection ends
    private readonly Lock closeGate = new();
    private (WebSocketCloseStatus Status, string Reason)? close;
    private bool initReceived;
    private ClaimsPrincipal? user;
    private string? authorization;

    public GraphQLWebSocketConnection(HttpContext http, WebSocket socket, IGraphQLTextSerializer serializer,
        GraphQLWebSocketOptions options, GraphQLHttpOptions limits, string replicaId, ILogger logger)
    {
        this.http = http;
        this.socket = socket;
        this.serializer = serializer;
        this.options = options;
        this.limits = limits;
        this.replicaId = replicaId;
        this.logger = logger;
        outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(options.MaxQueuedMessages) { SingleReader = true });
    }

    public async Task RunAsync()
    {
        var writing = WriteLoopAsync();
        _ = CloseUnlessInitialisedAsync();
        try
        {
            await ReadLoopAsync();
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away (or the connection was cut at its close timeout): nothing to answer.
        }
        finally
        {
            await connection.CancelAsync();   // ends every operation and their subscriptions
            outgoing.Writer.TryComplete();
            await writing;
        }
    }

    public void Dispose() => connection.Dispose();

    private async Task ReadLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            buffer.Clear();
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.GetMemory(4096), connection.Token);
                buffer.Advance(received.Count);
                if (buffer.WrittenCount > limits.MaxRequestBodyBytes)
                {
                    RequestClose(CloseCodes.MessageTooBig, $"A message may be at most {limits.MaxRequestBodyBytes} bytes.");
                    return;
                }
            }
            while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

            if (received.MessageType == WebSocketMessageType.Close)
            {
                // The client's close, or its answer to ours: answer it, and stop.
                RequestClose(WebSocketCloseStatus.NormalClosure, "");
                return;
            }

            if (close is not null)
            {
                continue;   // closing: what the client still sends is not acted on
            }

            if (received.MessageType != WebSocketMessageType.Text)
            {
                RequestClose(CloseCodes.BadRequest, "Send graphql-transport-ws messages as JSON text frames.");
                continue;
            }

            await HandleAsync(buffer.WrittenMemory);
        }
    }

    private async Task HandleAsync(ReadOnlyMemory<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException)
        {
            RequestClose(CloseCodes.BadRequest, "Invalid message: not JSON.");
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                RequestClose(CloseCodes.BadRequest, "Invalid message: a JSON object with a string 'type' is expected.");
                return;
            }

            var payload = root.TryGetProperty("payload", out var p) ? p : default;
            switch (type.GetString())
            {
                case "connection_init":
                    await InitialiseAsync(payload);
                    break;
                case "ping":
                    Send(writer => writer.WriteString("type", "pong"));
                    break;
                case "pong":
                    break;
                case "subscribe":
                    await SubscribeAsync(root, payload);
                    break;
                case "complete":
                    if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                        && operations.TryRemove(id.GetString()!, out var operation))
                    {
                        await operation.CancelAsync();
                    }

                    break;
                default:
                    RequestClose(CloseCodes.BadRequest, $"Invalid message type '{Truncate(type.GetString()!, 40)}'.");
                    break;
            }
        }
    }

    private async Task InitialiseAsync(JsonElement payload)
    {
        if (initReceived)
        {
            RequestClose(CloseCodes.TooManyInitialisationRequests, "Too many initialisation requests");
            return;
        }

        initReceived = true;
        authorization = TokenIn(payload) ?? http.Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(authorization))
        {
            RequestClose(CloseCodes.Forbidden, "Forbidden: send the access token in connection_init's payload: {\"Authorization\": \"Bearer <token>\"}.");
            return;
        }

        // The same failed-token count as HTTP requests: a socket is no way around it.
        var throttle = http.RequestServices.GetRequiredService<FailedTokenThrottle>();
        var address = ClientAddress.Of(http);
        if (throttle.RetryAfter(address) is { } wait)
        {
            RequestClose(CloseCodes.Forbidden, $"Forbidden: too many requests with a token that was not valid came from this address; retry after {Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} s with a valid token.");
            return;
        }

        var result = await AuthenticateAsync();
        throttle.CountUnless(address, result);
        if (!result.Succeeded)
        {
            RequestClose(CloseCodes.Forbidden, "Forbidden: the token is not valid (expired, revoked or unknown). Sign in again and reconnect.");
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
        Send(writer =>
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
            RequestClose(CloseCodes.Unauthorized, "Unauthorized: send connection_init with a token and wait for connection_ack.");
            return;
        }

        if (!root.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String || idElement.GetString() is not { Length: > 0 and <= 128 } id)
        {
            RequestClose(CloseCodes.BadRequest, "Invalid message: subscribe needs a string 'id' of 1 to 128 characters.");
            return;
        }

        GraphQLRequestPayload request;
        try
        {
            request = GraphQLRequestPayload.From(payload, serializer);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or GraphQL.Execution.InvalidOperationError)
        {
            RequestClose(CloseCodes.BadRequest, "Invalid message: subscribe's payload needs a string 'query' (and object 'variables').");
            return;
        }

        if (operations.ContainsKey(id))
        {
            RequestClose(CloseCodes.SubscriberAlreadyExists, $"Subscriber for {Truncate(id, 60)} already exists");
            return;
        }

        // A revoked device token or an expired access token stops here, whatever it could do when connected.
        if (!(await AuthenticateAsync()).Succeeded)
        {
            RequestClose(CloseCodes.Forbidden, "Forbidden: the token is no longer valid. Sign in again and reconnect.");
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

        var operation = CancellationTokenSource.CreateLinkedTokenSource(connection.Token);
        operations[id] = operation;
        _ = RunOperationAsync(id, request, operation);
    }

    private async Task RunOperationAsync(string id, GraphQLRequestPayload request, CancellationTokenSource operation)
    {
        try
        {
            var executer = http.RequestServices.GetRequiredService<IDocumentExecuter<ISchema>>();
            var result = await executer.ExecuteAsync(execution =>
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
                execution.CancellationToken = operation.Token;
            });

            if (result.Streams is { Count: > 0 } streams)
            {
                var subscription = streams.Values.Single().Subscribe(new StreamObserver(this, id, operation));
                operation.Token.Register(subscription.Dispose);
                return;
            }

            // Refused before or during execution, with nothing to show (a FORBIDDEN scope, say): the protocol's error.
            if (!result.Executed || (result.Data is null && result.Errors is { Count: > 0 }))
            {
                SendErrors(id, result);
            }
            else
            {
                SendNext(id, result);
                SendComplete(id);
            }
        }
        catch (OperationCanceledException) when (operation.IsCancellationRequested)
        {
            // Completed by the client, or the connection ended.
        }

        End(id, operation);
    }

    private void End(string id, CancellationTokenSource operation)
    {
        if (operations.TryRemove(new KeyValuePair<string, CancellationTokenSource>(id, operation)))
        {
            operation.Cancel();
            operation.Dispose();
        }
    }

    /// <summary>Sends a subscription's events; a stream that fails ends its operation with an <c>error</c> message.</summary>
    private sealed class StreamObserver(GraphQLWebSocketConnection owner, string id, CancellationTokenSource operation) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            if (!operation.IsCancellationRequested)
            {
                owner.SendNext(id, value);
            }
        }

        public void OnError(Exception error)
        {
            if (!operation.IsCancellationRequested)
            {
                var (code, message) = error is ExecutionError { Code: { } c } executionError
                    ? (c, executionError.Message)
                    : (ApiErrors.Unavailable, "The subscription failed on the server; subscribe again.");
                owner.SendErrors(id, code, message);
            }

            owner.End(id, operation);
        }

        public void OnCompleted()
        {
            if (!operation.IsCancellationRequested)
            {
                owner.SendComplete(id);
            }

            owner.End(id, operation);
        }
    }

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
                RequestClose(CloseCodes.ConnectionInitTimeout, "Connection initialisation timeout");
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

            RequestClose(CloseCodes.Forbidden, "Forbidden: the access token expired. Get a new one and reconnect.");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void SendNext(string id, ExecutionResult result)
    {
        var json = serializer.Serialize(result);
        Send(writer =>
        {
            writer.WriteString("id", id);
            writer.WriteString("type", "next");
            writer.WritePropertyName("payload");
            writer.WriteRawValue(json, skipInputValidation: true);
        });
    }

    private void SendComplete(string id) => Send(writer =>
    {
        writer.WriteString("id", id);
        writer.WriteString("type", "complete");
    });

    private void SendErrors(string id, string code, string message) =>
        SendErrors(id, new ExecutionResult { Errors = [new ExecutionError(message) { Code = code }] });

    private void SendErrors(string id, ExecutionResult result)
    {
        using var document = JsonDocument.Parse(serializer.Serialize(result));
        var errors = document.RootElement.TryGetProperty("errors", out var e) ? e.GetRawText() : "[]";
        Send(writer =>
        {
            writer.WriteString("id", id);
            writer.WriteString("type", "error");
            writer.WritePropertyName("payload");
            writer.WriteRawValue(errors, skipInputValidation: true);
        });
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private void Send(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        if (!outgoing.Writer.TryWrite(buffer.WrittenSpan.ToArray()) && close is null)
        {
            logger.LogWarning("Closing a GraphQL WebSocket whose client read too slowly ({Queued} messages waiting)", options.MaxQueuedMessages);
            RequestClose(CloseCodes.TooSlow, $"Too slow: {options.MaxQueuedMessages} messages were waiting to be read. Read faster or subscribe to less.");
        }
    }

    /// <summary>
    /// Ends the connection with this code: what is queued is still sent, then the close frame. A client
    /// that does not take it within <see cref="GraphQLWebSocketOptions.CloseTimeout"/> is cut off.
    /// </summary>
    private void RequestClose(WebSocketCloseStatus status, string reason)
    {
        lock (closeGate)
        {
            if (close is not null)
            {
                return;
            }

            close = (status, Truncate(reason, 123));
        }

        outgoing.Writer.TryComplete();
        _ = AbortAfterCloseTimeoutAsync();
    }

    private async Task AbortAfterCloseTimeoutAsync()
    {
        await Task.Delay(options.CloseTimeout);
        if (socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            socket.Abort();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var message in outgoing.Reader.ReadAllAsync())
            {
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }

            if (close is { } c && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(c.Status, c.Reason, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone: the read loop ends too.
        }
    }

    private static string Truncate(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        while (Encoding.UTF8.GetByteCount(text) > maxBytes)
        {
            text = text[..^1];
        }

        return text;
    }
}
