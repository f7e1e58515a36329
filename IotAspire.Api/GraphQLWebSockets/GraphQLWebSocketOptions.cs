using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.GraphQLWebSockets;

/// <summary>Configured under <c>GraphQLWebSocket</c>; checked at start. What one WebSocket connection may hold.</summary>
public sealed class GraphQLWebSocketOptions
{
    public const string Section = "GraphQLWebSocket";

    /// <summary>A connection that has not sent <c>connection_init</c> by then is closed (4408).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan ConnectionInitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Messages waiting to be sent to one client. A client that reads slower than its subscriptions produce
    /// is closed (1013) when this many are waiting, so a slow reader never costs unbounded memory.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxQueuedMessages { get; set; } = 256;

    /// <summary>Operations (subscriptions, mostly) one connection may run at once.</summary>
    [Range(1, 1_000)]
    public int MaxOperations { get; set; } = 25;

    /// <summary>How often the server sends a WebSocket ping frame, so that idle proxies keep the connection.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a closing connection may take to send what is queued and its close frame before it is cut.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
