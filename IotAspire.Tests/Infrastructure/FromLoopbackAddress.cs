using System.Net;
using System.Net.Sockets;

namespace IotAspire.Tests.Infrastructure;

/// <summary>
/// HTTP and WebSocket clients whose connections come from a loopback address of their choosing (127.0.0.2, ...), so
/// that a test can play two clients on one machine and check what the services count per client address.
/// </summary>
public static class FromLoopbackAddress
{
    public static SocketsHttpHandler Handler(string localAddress) => new()
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                // The services' endpoints say "localhost": connect over IPv4, where the chosen source address lives.
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public static HttpClient Client(string localAddress, Uri baseAddress) => new(Handler(localAddress)) { BaseAddress = baseAddress };
}
