using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>
/// One WebSocket's input and output, knowing nothing of the protocol spoken over it: whole text messages are read in
/// one loop (at most <paramref name="maxMessageBytes"/> each) and written in another, through a bounded queue, so that
/// a client too slow to read is closed with <see cref="CloseCodes.TooSlow"/> rather than holding the server's memory.
/// A close asked for by either side sends what is queued, then the close frame; a client that does not take it within
/// <paramref name="closeTimeout"/> is cut off.
/// </summary>
public sealed class WebSocketChannel(WebSocket socket, long maxMessageBytes, int maxQueuedMessages, TimeSpan closeTimeout, ILogger logger)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Channel<byte[]> outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(maxQueuedMessages) { SingleReader = true });
    private readonly Lock closeGate = new();
    private (WebSocketCloseStatus Status, string Reason)? close;

    /// <summary>Whether a close was asked for: what the client still sends is not acted on.</summary>
    public bool Closing => close is not null;

    /// <summary>
    /// Hands each text message to <paramref name="handle"/>, one at a time, until the client closes, a close is asked
    /// for or the socket fails; then <paramref name="readEnded"/> runs (so that nothing is still sending), the queue is
    /// sent and the close frame with it.
    /// </summary>
    public async Task RunAsync(Func<ReadOnlyMemory<byte>, Task> handle, Func<Task> readEnded, CancellationToken ct)
    {
        var writing = WriteLoopAsync();
        try
        {
            await ReadLoopAsync(handle, ct);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away (or the connection was cut at its close timeout): nothing to answer.
        }
        finally
        {
            await readEnded();
            outgoing.Writer.TryComplete();
            await writing;
        }
    }

    private async Task ReadLoopAsync(Func<ReadOnlyMemory<byte>, Task> handle, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            buffer.Clear();
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.GetMemory(4096), ct);
                buffer.Advance(received.Count);
                if (buffer.WrittenCount > maxMessageBytes)
                {
                    RequestClose(CloseCodes.MessageTooBig, $"A message may be at most {maxMessageBytes} bytes.");
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

            if (Closing)
            {
                continue;   // closing: what the client still sends is not acted on
            }

            if (received.MessageType != WebSocketMessageType.Text)
            {
                RequestClose(CloseCodes.BadRequest, "Send graphql-transport-ws messages as JSON text frames.");
                continue;
            }

            await handle(buffer.WrittenMemory);
        }
    }

    /// <summary>Queues one JSON object, written by <paramref name="write"/>; a full queue closes the connection as too slow.</summary>
    public void Send(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        if (!outgoing.Writer.TryWrite(buffer.WrittenSpan.ToArray()) && !Closing)
        {
            logger.LogWarning("Closing a GraphQL WebSocket whose client read too slowly ({Queued} messages waiting)", maxQueuedMessages);
            RequestClose(CloseCodes.TooSlow, $"Too slow: {maxQueuedMessages} messages were waiting to be read. Read faster or subscribe to less.");
        }
    }

    /// <summary>Ends the connection with this code and reason (at most 123 bytes, as the protocol allows): the first close asked for wins.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
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
        await Task.Delay(closeTimeout);
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

    /// <summary><paramref name="text"/> cut to at most <paramref name="maxBytes"/> bytes of UTF-8.</summary>
    public static string Truncate(string text, int maxBytes)
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
