using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace IotAspire.Bench;

/// <summary>
/// One live subscriber (graphql-transport-ws, <c>readingsIngested</c> of the whole customer) that reads every
/// message and counts the readings delivered, for the ingest bench's with-a-subscriber measurement.
/// </summary>
public sealed class LiveSubscriberProbe : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly CancellationTokenSource stop = new();
    private Task? reading;
    private long delivered;

    public long Delivered => Interlocked.Read(ref delivered);

    public DateTimeOffset LastDeliveryAt { get; private set; }

    public static async Task<LiveSubscriberProbe> StartAsync(Uri api, string token, CancellationToken ct)
    {
        var probe = new LiveSubscriberProbe();
        probe.socket.Options.AddSubProtocol("graphql-transport-ws");
        await probe.socket.ConnectAsync(new UriBuilder(api) { Scheme = "ws", Path = "/graphql" }.Uri, ct);
        await probe.SendAsync(new { type = "connection_init", payload = new { Authorization = $"Bearer {token}" } }, ct);
        using (var ack = await probe.ReceiveAsync(ct))
        {
            if (ack.RootElement.GetProperty("type").GetString() != "connection_ack")
            {
                throw new InvalidOperationException($"No connection_ack: {ack.RootElement}");
            }
        }

        await probe.SendAsync(new { id = "bench", type = "subscribe", payload = new { query = "subscription { readingsIngested { deviceId timestamp reading } }" } }, ct);
        probe.reading = Task.Run(probe.ReadAsync, CancellationToken.None);
        await Task.Delay(500, ct);   // the subscription is registered (and ingest told to notify) before it is timed
        return probe;
    }

    /// <summary>Waits until <paramref name="readings"/> have been delivered, or the timeout.</summary>
    public async Task<bool> WaitForAsync(long readings, TimeSpan timeout)
    {
        var giveUpAt = DateTime.UtcNow + timeout;
        while (Delivered < readings && DateTime.UtcNow < giveUpAt)
        {
            await Task.Delay(20);
        }

        return Delivered >= readings;
    }

    private async Task ReadAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using var message = await ReceiveAsync(stop.Token);
                var root = message.RootElement;
                if (root.GetProperty("type").GetString() == "next")
                {
                    Interlocked.Add(ref delivered, root.GetProperty("payload").GetProperty("data").GetProperty("readingsIngested").GetArrayLength());
                    LastDeliveryAt = DateTimeOffset.UtcNow;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }

    private async Task SendAsync(object message, CancellationToken ct) =>
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, ct);

    private async Task<JsonDocument> ReceiveAsync(CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(chunk, ct);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException($"Closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }

            buffer.Write(chunk, 0, received.Count);
            if (received.EndOfMessage)
            {
                return JsonDocument.Parse(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        if (reading is not null)
        {
            await reading;
        }

        socket.Dispose();
        stop.Dispose();
    }
}
