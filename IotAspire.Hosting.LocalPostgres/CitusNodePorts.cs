using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>
/// The ports a local Citus cluster's nodes listen on, the same on every start: the coordinator and the workers know
/// each other by host and port (<c>pg_dist_node</c>, copied to every node), and a port that changed between runs
/// leaves every node calling the others at their old addresses. Chosen free on the first start and kept in a file
/// beside the nodes' data (<see cref="FileName"/>); delete it to choose again.
/// </summary>
public static class CitusNodePorts
{
    public const string FileName = "node-ports";

    /// <summary>The ports of <paramref name="nodes"/> (names), read from <paramref name="root"/>, or chosen and written there.</summary>
    public static IReadOnlyDictionary<string, int> LoadOrChoose(string root, IReadOnlyList<string> nodes)
    {
        var path = Path.Combine(root, FileName);
        var ports = File.Exists(path)
            ? File.ReadAllLines(path).Select(line => line.Split('=', 2)).Where(parts => parts.Length == 2)
                .ToDictionary(parts => parts[0].Trim(), parts => int.Parse(parts[1].Trim(), CultureInfo.InvariantCulture))
            : [];
        if (nodes.All(ports.ContainsKey))
        {
            return ports;
        }

        foreach (var node in nodes.Where(node => !ports.ContainsKey(node)))
        {
            ports[node] = FreePort();
        }

        Directory.CreateDirectory(root);
        File.WriteAllLines(path, ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")));
        return ports;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
