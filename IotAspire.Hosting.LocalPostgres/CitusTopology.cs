namespace IotAspire.Hosting.LocalPostgres;

/// <summary>A Citus cluster's shape: one coordinator (the server services connect to) and <see cref="Workers"/> workers.</summary>
/// <param name="Workers">How many workers.</param>
/// <param name="LogMultiShardStatements">
/// <c>Postgres:LogMultiShardStatements</c>: the coordinator logs every statement that runs on more than one shard, with
/// its text. For finding the statements that do not name one customer (the tests' routing check does); off by default,
/// as the jobs that read every customer run every few seconds.
/// </param>
public sealed record CitusTopology(int Workers, bool LogMultiShardStatements = false)
{
    /// <summary>The coordinator's settings when <see cref="LogMultiShardStatements"/>: the line, and the statement under it.</summary>
    public static readonly string[] MultiShardLogSettings = ["citus.multi_task_query_log_level=log", "log_min_error_statement=log"];

    /// <summary><c>Postgres:LogMultiShardStatements</c>: true or false, false unless set.</summary>
    public static bool ParseLogMultiShardStatements(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? false
        : bool.TryParse(configured, out var log) ? log
        : throw new InvalidOperationException($"Postgres:LogMultiShardStatements must be true or false, not '{configured}'.");

    public const int DefaultWorkers = 2;
    public const int MaxWorkers = 16;

    /// <summary>The Citus image used where containers run; its major version matches the source release used locally.</summary>
    public const string Image = "citusdata/citus";
    public const string ImageTag = "13.2";

    /// <summary>The worker resources' names: <c>{server}-worker-1</c> and on.</summary>
    public static string WorkerName(string serverName, int index) => $"{serverName}-worker-{index}";

    /// <summary><c>Postgres:CitusWorkers</c>: 1 to 16, <see cref="DefaultWorkers"/> unless set.</summary>
    public static int ParseWorkers(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? DefaultWorkers
        : int.TryParse(configured, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var workers) && workers is >= 1 and <= MaxWorkers ? workers
        : throw new InvalidOperationException($"Postgres:CitusWorkers must be a whole number from 1 to {MaxWorkers}, not '{configured}'.");

    /// <summary>
    /// Whether Citus is installed for these server binaries: <c>citus.so</c> in the library folder beside the real
    /// <c>postgres</c> program (Debian's layout and a source build's; PATH often holds only links to it).
    /// </summary>
    public static bool IsInstalledFor(LocalPostgresBinaries binaries)
    {
        var server = new FileInfo(Path.Combine(binaries.BinDirectory, "postgres"));
        var realServer = server.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? server.FullName;
        return File.Exists(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(realServer)!)!, "lib", "citus.so"));
    }
}
