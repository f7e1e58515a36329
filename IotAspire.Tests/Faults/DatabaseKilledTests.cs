using System.Diagnostics;
using System.Net;
using IotAspire.Hosting.LocalPostgres;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Faults;

/// <summary>
/// PostgreSQL's postmaster killed (SIGKILL, as the OOM killer would) under a stream of ingest, on an AppHost of its
/// own: both services' <c>/health</c> turn 503 naming their database within 2 s and every answer comes within 2 s;
/// the AppHost's launcher starts the server again without anyone (the dashboard shows <c>Restarting</c>); every
/// acknowledged reading survives crash recovery, and retried batches store no duplicate.
/// </summary>
public sealed class DatabaseKilledTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int ReadingsPerBatch = 50;
    // The health check answers within about 1 s whatever the database does (its own timeout); this bound only catches a
    // /health that waits on the dead database (a connect timeout, tens of seconds). The figures are printed.
    private static readonly TimeSpan HealthBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BackWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killed_postgres_is_reported_without_waiting_on_it_restarted_without_a_person_and_loses_no_acknowledged_reading()
    {
        var dataDirectory = RunningAppHost.NewDataDirectory();
        try
        {
            await using var appHost = await RunningAppHost.StartAsync(dataDirectory, ResourceNames.Auth, ResourceNames.Api);
            var auth = new TokenServiceClient(appHost);
            var graphQL = new GraphQLClient(appHost);
            var (token, _) = await auth.NewCustomerAsync();
            var device = Guid.NewGuid();
            var batches = new NumberedBatches(device, new DateTimeOffset(2022, 8, 1, 0, 0, 0, TimeSpan.Zero), ReadingsPerBatch);

            // Plain clients (no resilience handler to retry a 503), with a timeout well past the bound so a slow
            // answer is measured rather than cut off.
            using var apiHealth = new HttpClient { BaseAddress = appHost.App.GetEndpoint(ResourceNames.Api, "http"), Timeout = TimeSpan.FromSeconds(30) };
            using var authHealth = new HttpClient { BaseAddress = appHost.App.GetEndpoint(ResourceNames.Auth, "http"), Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal("Healthy", await apiHealth.GetStringAsync("/health"));

            // Ingest, one batch after another, until told to stop; what was acknowledged and what failed.
            var acknowledged = new List<int>();
            var failed = new List<int>();
            using var stopIngest = new CancellationTokenSource();
            var ingest = Task.Run(async () =>
            {
                for (var index = 0; !stopIngest.IsCancellationRequested; index++)
                {
                    var (status, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest, batches.Variables(index), token);
                    if (status == HttpStatusCode.OK && !body.TryGetProperty("errors", out _))
                    {
                        lock (acknowledged) { acknowledged.Add(index); }
                    }
                    else
                    {
                        lock (acknowledged) { failed.Add(index); }
                        await Task.Delay(100);
                    }
                }
            });

            while (acknowledged.Count < 5)
            {
                await Task.Delay(50);
            }

            // The dashboard's view of the server, from now on.
            var states = new List<string>();
            using var watching = new CancellationTokenSource();
            var watch = Task.Run(async () =>
            {
                try
                {
                    await foreach (var update in appHost.App.ResourceNotifications.WatchAsync(watching.Token))
                    {
                        if (update.Resource.Name == ResourceNames.Postgres && update.Snapshot.State?.Text is { } state)
                        {
                            lock (states) { states.Add(state); }
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });

            var postmaster = Assert.Single(LocalPostgresProcesses.Serving(dataDirectory));
            Process.GetProcessById(postmaster).Kill();
            var killed = Stopwatch.StartNew();

            // Probe both services' /health at once, each until it is 200 again: each answer within the bound, 503 naming
            // its database within the bound of the kill, and back without anyone touching the AppHost.
            var probes = await Task.WhenAll(
                ProbeUntilBackAsync(apiHealth, "readings-database", killed),
                ProbeUntilBackAsync(authHealth, "accounts-database", killed));
            var (api, tokenService) = (probes[0], probes[1]);
            var slowest = api.Slowest > tokenService.Slowest ? api.Slowest : tokenService.Slowest;
            output.WriteLine($"API /health 503 after {api.DownAt?.TotalSeconds:0.00} s, token service after {tokenService.DownAt?.TotalSeconds:0.00} s, " +
                $"slowest answer {slowest.TotalSeconds:0.00} s; healthy again after {api.BackAt?.TotalSeconds:0.0} s and {tokenService.BackAt?.TotalSeconds:0.0} s");
            Assert.True(api.DownAt < HealthBound, $"the API's /health turned 503 after {api.DownAt}");
            Assert.True(tokenService.DownAt < HealthBound, $"the token service's /health turned 503 after {tokenService.DownAt}");
            Assert.True(slowest < HealthBound, $"a /health answer took {slowest}");
            Assert.True(api.BackAt is not null && tokenService.BackAt is not null, $"PostgreSQL was not back within {BackWithin}");

            // A few batches more after the return, then stop.
            var ackedAtReturn = acknowledged.Count;
            while (acknowledged.Count < ackedAtReturn + 3 && killed.Elapsed < BackWithin * 2)
            {
                await Task.Delay(100);
            }

            await stopIngest.CancelAsync();
            await ingest;
            await watching.CancelAsync();
            await watch;
            output.WriteLine($"batches acknowledged: {acknowledged.Count}, failed: {failed.Count}; server states seen: {string.Join(" > ", states.Distinct())}");
            Assert.Contains(LocalPostgresSupervision.RestartingState, states);
            Assert.Equal(KnownResourceStates.Running, states.Last());
            // The outage lasts about a second: a batch sent in it fails (SERVICE_UNAVAILABLE), and it may fall between
            // two batches. Failed or not, every batch is counted once below.

            // Every acknowledged reading survived the crash (counted before any retry)...
            await using var readings = Npgsql.NpgsqlDataSource.Create(await appHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
            var ackedTimes = acknowledged.SelectMany(batches.Times).ToArray();
            var present = await CountAsync(readings, "SELECT count(*) FROM readings WHERE series_id = $1 AND recorded_at = ANY($2)", device, ackedTimes);
            Assert.Equal(ackedTimes.Length, present);

            // ... and retrying the failed batches, and two acknowledged ones, leaves exactly one copy of each reading.
            foreach (var index in failed.Concat(acknowledged.Take(2)))
            {
                for (var attempt = 0; ; attempt++)
                {
                    var (status, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest, batches.Variables(index), token);
                    if (status == HttpStatusCode.OK && !body.TryGetProperty("errors", out _))
                    {
                        break;
                    }

                    Assert.True(attempt < 20, $"batch {index} still failing after PostgreSQL came back: {body}");
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            }

            var sent = acknowledged.Count + failed.Count;
            Assert.Equal(sent * ReadingsPerBatch, await CountAsync(readings, "SELECT count(*) FROM readings WHERE series_id = $1", device));
        }
        finally
        {
            await RunningAppHost.DeleteDataAsync(dataDirectory);
        }
    }

    private sealed record Probes(TimeSpan? DownAt, TimeSpan? BackAt, TimeSpan Slowest);

    private static async Task<Probes> ProbeUntilBackAsync(HttpClient client, string database, Stopwatch killed)
    {
        TimeSpan? downAt = null;
        var slowest = TimeSpan.Zero;
        while (killed.Elapsed < BackWithin)
        {
            var probe = Stopwatch.StartNew();
            using var response = await client.GetAsync("/health");
            var body = await response.Content.ReadAsStringAsync();
            slowest = probe.Elapsed > slowest ? probe.Elapsed : slowest;
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Equal($"Unhealthy: {database}", body);
                downAt ??= killed.Elapsed;
            }
            else if (downAt is not null)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return new(downAt, killed.Elapsed, slowest);
            }

            await Task.Delay(100);
        }

        return new(downAt, null, slowest);
    }

    private static async Task<long> CountAsync(Npgsql.NpgsqlDataSource dataSource, string sql, params object[] parameters) =>
        (await Sql.ListAsync(dataSource, sql, row => row.GetInt64(0), parameters)).Single();
}
