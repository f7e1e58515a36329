using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace IotAspire.Tests.Infrastructure;

/// <summary>A graphql-transport-ws client on a raw <see cref="ClientWebSocket"/>, as small as the protocol.</summary>
public sealed class GraphQLWebSocketClient : IAsyncDisposable
{
    public const string Subprotocol = "graphql-transport-ws";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly Channel<JsonElement> received = Channel.CreateUnbounded<JsonElement>();
    private Task? reading;

    private GraphQLWebSocketClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public static Uri EndpointOf(RunningAppHost appHost)
    {
        var http = appHost.App.GetEndpoint(ResourceNames.Api, "http");
        return new UriBuilder(http) { Scheme = "ws", Path = "/graphql" }.Uri;
    }

    public static async Task<GraphQLWebSocketClient> ConnectAsync(RunningAppHost appHost, string? subprotocol = Subprotocol) =>
        await ConnectAsync(EndpointOf(appHost), subprotocol);

    /// <summary>Connects to <paramref name="endpoint"/>, through <paramref name="invoker"/> when given (a chosen source address, say).</summary>
    public static async Task<GraphQLWebSocketClient> ConnectAsync(Uri endpoint, string? subprotocol = Subprotocol, HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        if (subprotocol is not null)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        using var timeout = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(endpoint, invoker, timeout.Token);
        return new GraphQLWebSocketClient(socket);
    }

    /// <summary>Connects and initialises with <paramref name="token"/>; returns the <c>connection_ack</c>'s payload.</summary>
    public static async Task<(GraphQLWebSocketClient Client, JsonElement Ack)> SignedInAsync(RunningAppHost appHost, string token)
    {
        var client = await ConnectAsync(appHost);
        var ack = await client.InitAsync(token);
        return (client, ack);
    }

    public async Task<JsonElement> InitAsync(string token)
    {
        await SendAsync(new { type = "connection_init", payload = new { Authorization = $"Bearer {token}" } });
        // Read off the socket directly, so that the client reads nothing more until a test asks for it.
        var ack = reading is null ? await ReadOneAsync() : await ReceiveAsync();
        Assert.Equal("connection_ack", ack.GetProperty("type").GetString());
        return ack.GetProperty("payload");
    }

    public Task SubscribeAsync(string id, string query, object? variables = null) =>
        SendAsync(new { id, type = "subscribe", payload = new { query, variables } });

    public Task SendAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public async Task SendTextAsync(string text)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
    }

    /// <summary>The next message; fails the test if the server closes or nothing comes within <paramref name="within"/>.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan? within = null)
    {
        var message = await TryReceiveAsync(within ?? Patience);
        Assert.True(message is not null, $"no message within {within ?? Patience}; socket {Socket.State}, close {Socket.CloseStatus} {Socket.CloseStatusDescription}");
        return message.Value;
    }

    /// <summary>The next message, or null at the timeout or when the server closed. Waiting does not disturb the socket.</summary>
    public async Task<JsonElement?> TryReceiveAsync(TimeSpan within)
    {
        StartReading();
        using var timeout = new CancellationTokenSource(within);
        try
        {
            return await received.Reader.ReadAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts taking messages off the socket (the first receive does it). Until then the client reads
    /// nothing, as a stalled client would.
    /// </summary>
    public void StartReading() => reading ??= Task.Run(ReadLoopAsync);

    private async Task<JsonElement> ReadOneAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var result = await Socket.ReceiveAsync(chunk, timeout.Token);
            Assert.True(result.MessageType != WebSocketMessageType.Close, $"closed: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
            buffer.Write(chunk, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        try
        {
            while (Socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await Socket.ReceiveAsync(chunk, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                buffer.Write(chunk, 0, result.Count);
                if (result.EndOfMessage)
                {
                    received.Writer.TryWrite(JsonDocument.Parse(buffer.ToArray()).RootElement.Clone());
                    buffer.SetLength(0);
                }
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            received.Writer.TryComplete();
        }
    }

    /// <summary>
    /// The next message for operation <paramref name="id"/>. Messages of other operations met on the way are kept for
    /// their own <see cref="ReceiveForAsync"/> (two subscriptions' events may arrive in either order); pongs are skipped.
    /// </summary>
    public async Task<JsonElement> ReceiveForAsync(string id, TimeSpan? within = null)
    {
        if (kept.TryGetValue(id, out var waiting) && waiting.TryDequeue(out var earlier))
        {
            return earlier;
        }

        var deadline = DateTime.UtcNow + (within ?? Patience);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var message = await ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (message.TryGetProperty("id", out var messageId) && messageId.GetString() is { } other)
            {
                if (other == id)
                {
                    return message;
                }

                (kept.TryGetValue(other, out var queue) ? queue : kept[other] = new Queue<JsonElement>()).Enqueue(message);
            }
        }
    }

    // Messages of other operations that a ReceiveForAsync read past, by operation id.
    private readonly Dictionary<string, Queue<JsonElement>> kept = [];

    /// <summary>Reads (and drops) messages until the server's close frame; its code and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ReceiveCloseAsync(TimeSpan? within = null)
    {
        StartReading();
        using var timeout = new CancellationTokenSource(within ?? Patience);
        await foreach (var _ in received.Reader.ReadAllAsync(timeout.Token))
        {
        }

        return (Socket.CloseStatus, Socket.CloseStatusDescription);
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        Socket.Dispose();
    }
}
