namespace IotAspire.Tests.Infrastructure;

/// <summary>Finds PostgreSQL server processes by the data directory on their command line (Linux /proc).</summary>
public static class LocalPostgresProcesses
{
    public static IReadOnlyList<int> Serving(string dataDirectory) =>
        Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid) is { } args && args.Contains("postgres") && args.Contains(dataDirectory))
            .ToList();

    /// <summary>Waits (bounded) for the server to exit after its AppHost stopped; returns the pids still there.</summary>
    public static async Task<IReadOnlyList<int>> WaitUntilGoneAsync(string dataDirectory, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        var left = Serving(dataDirectory);
        while (left.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            left = Serving(dataDirectory);
        }

        return left;
    }

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
