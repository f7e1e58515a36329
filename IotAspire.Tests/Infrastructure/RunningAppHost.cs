using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IotAspire.Tests.Infrastructure;

/// <summary>
/// The real AppHost, started through Aspire.Hosting.Testing with PostgreSQL from local binaries and a
/// throw-away data directory (unless one is given). Ports are randomised by the testing builder, so a
/// developer's running AppHost does not get in the way. Every start and wait is bounded.
/// </summary>
public sealed class RunningAppHost : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Where the tests' PostgreSQL runs: local binaries, or a local Citus cluster when <c>IOTASPIRE_TESTS_POSTGRES_MODE</c>
    /// is <c>citus</c> (the whole suite against Citus; CI runs the Citus collection, Scaling/, besides).
    /// </summary>
    public static string PostgresMode => Environment.GetEnvironmentVariable("IOTASPIRE_TESTS_POSTGRES_MODE") is { Length: > 0 } mode ? mode : "local";

    /// <summary>The AppHost's <c>admin-password</c> parameter in tests: the first administrator's password.</summary>
    public const string AdminUserName = "admin";
    public const string AdminPassword = "Test-Root-Pw-42";

    /// <summary>The AppHost's <c>grafana-db-password</c> parameter in tests: the grafana_reader role's password.</summary>
    public const string GrafanaReaderPassword = "Test-Grafana-Reader-7";

    /// <summary>The readings database as Grafana's read-only role (the bench's rule, with this AppHost's password; no pool kept).</summary>
    public static string AsGrafanaReader(string readingsConnectionString) =>
        new NpgsqlConnectionStringBuilder(IotAspire.Bench.BenchAppHost.AsGrafanaReader(readingsConnectionString, GrafanaReaderPassword)) { Pooling = false }.ConnectionString;

    /// <summary>The API's WebSocket settings in tests (<c>GraphQLWebSocket</c>).</summary>
    public static readonly TimeSpan WebSocketInitTimeout = TimeSpan.FromSeconds(2);
    public const int WebSocketMaxQueuedMessages = 16;

    /// <summary>The token service's per-address sign-in rate limit in tests.</summary>
    public const int SignInBurst = 300;
    public const int SignInRefillPerSecond = 100;

    private RunningAppHost(DistributedApplication app, string dataDirectory)
    {
        App = app;
        DataDirectory = dataDirectory;
    }

    public DistributedApplication App { get; }

    public string DataDirectory { get; }

    /// <summary>Starts the AppHost and waits until <paramref name="waitForHealthy"/> resources are healthy.</summary>
    public static Task<RunningAppHost> StartAsync(string dataDirectory, params string[] waitForHealthy) =>
        StartAsync(dataDirectory, [], waitForHealthy);

    /// <summary>The same, with AppHost <paramref name="settings"/> ("Key=value") on top of the tests' own.</summary>
    public static Task<RunningAppHost> StartAsync(string dataDirectory, IReadOnlyList<string> settings, params string[] waitForHealthy) =>
        StartAsync(dataDirectory, settings, configure: null, waitForHealthy);

    private const string TestFailedTokenLimit = "1000000";

    /// <summary>
    /// A TCP port nothing listens on now, below the system's ephemeral range: a port the system hands out for port 0 or
    /// for an outgoing connection may be taken by another process's connection while a service that listened on it is
    /// down (a test that kills and restarts the API, with other AppHosts running beside it), and the restart would fail.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        var (low, _) = EphemeralPortRange();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(Math.Max(1024, low - 12_000), low);
            try
            {
                var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }

        throw new InvalidOperationException($"No free port below {low} after 100 tries.");
    }

    private static (int Low, int High) EphemeralPortRange()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(range) && File.ReadAllText(range).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries) is [var low, var high, ..]
            ? (int.Parse(low, System.Globalization.CultureInfo.InvariantCulture), int.Parse(high, System.Globalization.CultureInfo.InvariantCulture))
            : (49152, 65535);   // IANA's dynamic range: the default elsewhere
    }

    /// <summary>The same, and <paramref name="configure"/> may change the app model (a service's environment, say) before it is built.</summary>
    public static async Task<RunningAppHost> StartAsync(
        string dataDirectory, IReadOnlyList<string> settings, Action<IDistributedApplicationTestingBuilder>? configure, params string[] waitForHealthy)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.IotAspire_AppHost>(
            [$"Postgres:Mode={PostgresMode}", $"Postgres:DataDirectory={dataDirectory}", $"Auth:KeyRingDirectory={KeyRingDirectoryFor(dataDirectory)}", $"Api:KeyRingDirectory={ApiKeyRingDirectoryFor(dataDirectory)}", $"Parameters:admin-password={AdminPassword}",
             $"Parameters:grafana-db-password={GrafanaReaderPassword}",
             "Simulator:Enabled=false",   // tests write their own data; the simulator test runs it on its own
             // The services listen on their ports themselves (not behind DCP's proxy, which the testing builder's
             // port randomisation covers): free ports, so AppHosts of tests running at once and a developer's own
             // AppHost on the documented ports stay apart.
             $"Ports:Api={FreeLoopbackPort()}", $"Ports:Auth={FreeLoopbackPort()}", $"Ports:Mqtt={FreeLoopbackPort()}",
             .. settings],
            timeout.Token);

        // The tests sign in far more often from one address than any client would: a larger sign-in rate
        // limit for them, which one test exhausts on purpose (TokenEndpointTests).
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.Auth))
            .WithEnvironment("LoginThrottling__ClientBurst", SignInBurst.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("LoginThrottling__ClientRequestsPerSecond", SignInRefillPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("FailedTokenThrottling__MaxFailures", TestFailedTokenLimit);

        // WebSocket limits small enough to meet in a test: an initialisation timeout of seconds, a short
        // outgoing queue (back-pressure), and time for a client that stopped reading to read its close.
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.Api))
            // Every test's request comes from 127.0.0.1, and many send bad tokens on purpose: a limit no run meets;
            // ThrottledTokensTests sets its own on an AppHost of its own.
            .WithEnvironment("FailedTokenThrottling__MaxFailures", TestFailedTokenLimit)
            .WithEnvironment("GraphQLWebSocket__ConnectionInitTimeout", WebSocketInitTimeout.ToString())
            .WithEnvironment("GraphQLWebSocket__MaxQueuedMessages", WebSocketMaxQueuedMessages.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("GraphQLWebSocket__CloseTimeout", "00:01:00")
            // Retention runs when a test asks (runRetention): a scheduled run in between would take its work.
            .WithEnvironment("Retention__Enabled", "false")
            // Alerts: the tests' webhook receiver listens on loopback; retries and NO_DATA checks a second apart.
            .WithEnvironment("Alerts__AllowPrivateWebhookTargets", "true")
            .WithEnvironment("Alerts__WebhookFirstRetryDelay", "00:00:01")
            .WithEnvironment("Alerts__NoDataInterval", "00:00:01")
            // Passes fold several customers at once (the default is one after another): every test of the rollups
            // then covers folds that commit apart while the pass holds the turn.
            .WithEnvironment("Materializer__FoldConnections", "3");

        configure?.Invoke(builder);

        // Warnings and errors of the AppHost and of every resource (services, PostgreSQL) reach the test
        // output, so a failed start in CI says why.
        builder.Services.AddLogging(logging => logging
            .AddSimpleConsole(console => console.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning));

        var app = await builder.BuildAsync(timeout.Token);
        await app.StartAsync(timeout.Token);
        foreach (var resource in waitForHealthy)
        {
            // StopOnResourceUnavailable: a resource that exits fails the test now, not at the timeout.
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, timeout.Token);
        }

        return new RunningAppHost(app, dataDirectory);
    }

    /// <summary>A fresh data directory that the postgres user can reach when tests run as root.</summary>
    public static string NewDataDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "iotaspire-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>The token service's Data Protection key ring, beside the (postgres-owned) data directory.</summary>
    public static string KeyRingDirectoryFor(string dataDirectory) => dataDirectory.TrimEnd('/') + "-auth-keys";

    /// <summary>The API's key ring (webhook secrets) beside the data directory, as the token service's.</summary>
    public static string ApiKeyRingDirectoryFor(string dataDirectory) => dataDirectory.TrimEnd('/') + "-api-keys";

    public string KeyRingDirectory => KeyRingDirectoryFor(DataDirectory);

    /// <summary>After the AppHost is disposed: waits for its PostgreSQL to exit, then deletes its data and key ring.</summary>
    public static async Task DeleteDataAsync(string dataDirectory)
    {
        await LocalPostgresProcesses.WaitUntilGoneAsync(dataDirectory);
        Directory.Delete(dataDirectory, recursive: true);
        foreach (var keyRing in new[] { KeyRingDirectoryFor(dataDirectory), ApiKeyRingDirectoryFor(dataDirectory) })
        {
            if (Directory.Exists(keyRing))
            {
                Directory.Delete(keyRing, recursive: true);
            }
        }
    }

    public async Task<string> ConnectionStringAsync(string resourceName) =>
        await App.GetConnectionStringAsync(resourceName)
        ?? throw new InvalidOperationException($"No connection string for '{resourceName}'.");

    public HttpClient CreateHttpClient(string resourceName) => App.CreateHttpClient(resourceName);

    /// <summary>The API's MQTT listener's port (its "mqtt" endpoint, on 127.0.0.1).</summary>
    public int MqttPort => App.GetEndpoint(ResourceNames.Api, "mqtt").Port;

    /// <summary>A project resource's process id, as Aspire reports it (the dashboard's "executable.pid").</summary>
    public int ProcessIdOf(string resourceName)
    {
        if (!App.ResourceNotifications.TryGetCurrentState(resourceName, out var state))
        {
            throw new InvalidOperationException($"No state for '{resourceName}'.");
        }

        return Convert.ToInt32(state.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
