using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Faults;

/// <summary>
/// The API killed outright (SIGKILL: no shutdown, no flushing) while devices are sending, on an AppHost of its
/// own. An acknowledgement is a promise: every batch the API acknowledged before it died must be stored after
/// a restart, and resending the batches that failed leaves exactly one copy of every reading.
/// </summary>
public sealed class ApiCrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Batches = 60;
    private const int ReadingsPerBatch = 100;
    private const int Senders = 4;
    private const int KillAfterAcknowledged = 15;

    [Fact]
    public async Task Every_batch_acknowledged_before_the_API_is_killed_is_stored_after_its_restart()
    {
        var dataDirectory = RunningAppHost.NewDataDirectory();
        try
        {
            await using var appHost = await RunningAppHost.StartAsync(dataDirectory, ResourceNames.Auth, ResourceNames.Api);
            var graphQL = new GraphQLClient(appHost);
            graphQL.Http.Timeout = TimeSpan.FromSeconds(10);   // Aspire's proxy holds a connection to a dead API open
            var (token, _) = await new TokenServiceClient(appHost).NewCustomerAsync();
            var device = Guid.NewGuid();
            // An alert rule the readings of batch 30 on raise (they grow with batch and time): evaluated, whatever the kill interrupted.
            await graphQL.DataAsync("mutation($d: UUID!) { createAlertRule(deviceId: $d, kind: ABOVE, minutes: 0, threshold: 29.5) { id } }", new { d = device }, token);
            var start = new DateTimeOffset(2023, 3, 1, 0, 0, 0, TimeSpan.Zero);
            DateTimeOffset TimeOf(int batch, int i) => start.AddSeconds((batch * ReadingsPerBatch) + i);
            object Batch(int index) => new
            {
                readings = Enumerable.Range(0, ReadingsPerBatch).Select(i => new
                {
                    timestamp = TimeOf(index, i).ToString("O"),
                    reading = index + (i / 1000.0),
                    deviceId = device,
                }),
            };

            var acknowledged = new ConcurrentBag<int>();
            var failed = new ConcurrentBag<int>();
            var next = -1;
            var killed = 0;
            var apiPid = appHost.ProcessIdOf(ResourceNames.Api);
            // Each sender stops at its first failure: the API is down, and what it did not send is sent later.
            async Task SendAsync()
            {
                for (var index = Interlocked.Increment(ref next); index < Batches; index = Interlocked.Increment(ref next))
                {
                    try
                    {
                        var (status, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest, Batch(index), token);
                        if (status != HttpStatusCode.OK || body.TryGetProperty("errors", out _))
                        {
                            failed.Add(index);
                            return;
                        }

                        acknowledged.Add(index);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        failed.Add(index);   // the connection died with the API: not acknowledged
                        return;
                    }

                    if (acknowledged.Count >= KillAfterAcknowledged && Interlocked.Exchange(ref killed, 1) == 0)
                    {
                        // SIGKILL on Linux. Aspire starts the API through 'dotnet run', so the API is a child process.
                        Process.GetProcessById(apiPid).Kill(entireProcessTree: true);
                    }
                }
            }

            await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(SendAsync)));
            var unsent = Enumerable.Range(0, Batches).Except(acknowledged).Except(failed).ToList();
            output.WriteLine($"acknowledged: {acknowledged.Count}, failed: {failed.Count}, not yet sent: {unsent.Count} of {Batches} batches; API pid {apiPid} killed");
            Assert.Equal(1, killed);
            Assert.NotEmpty(failed);   // batches were still being sent when it died

            await appHost.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Api, KnownResourceCommands.StartCommand);
            using (var healthy = new CancellationTokenSource(RunningAppHost.StartTimeout))
            {
                await appHost.App.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Api, healthy.Token);
            }

            Assert.NotEqual(apiPid, appHost.ProcessIdOf(ResourceNames.Api));

            // Every acknowledged reading is there, read straight from the table.
            var stored = await StoredTimesAsync(appHost, device);
            var missing = acknowledged.SelectMany(b => Enumerable.Range(0, ReadingsPerBatch).Select(i => TimeOf(b, i))).Where(t => !stored.Contains(t)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged readings lost, first {missing.FirstOrDefault():O}");

            // Resending every failed batch (some may have been committed before the kill) and sending the rest
            // leaves one copy of each reading.
            foreach (var index in failed.Concat(unsent))
            {
                await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(index), token);
            }

            var devices = (await graphQL.DataAsync(GraphQLDocuments.Devices, null, token)).GetProperty("devices");
            Assert.Equal(Batches * ReadingsPerBatch, Assert.Single(devices.EnumerateArray()).GetProperty("readingCount").GetInt32());

            // The alert: raised at batch 30's first reading, never cleared. Batches evaluated out of order may add a
            // raise at a later reading first; none is lost to the kill (the restarted API evaluates what was pending).
            var alerts = (await graphQL.DataAsync("{ alerts { state at } }", null, token)).GetProperty("alerts");
            for (var wait = 0; wait < 100 && !alerts.EnumerateArray().Any(a => a.GetProperty("at").GetDateTimeOffset() == TimeOf(30, 0)); wait++)
            {
                await Task.Delay(200);
                alerts = (await graphQL.DataAsync("{ alerts { state at } }", null, token)).GetProperty("alerts");
            }

            Assert.All(alerts.EnumerateArray(), a => Assert.Equal("RAISED", a.GetProperty("state").GetString()));
            Assert.Equal(TimeOf(30, 0), alerts.EnumerateArray().Min(a => a.GetProperty("at").GetDateTimeOffset()));
        }
        finally
        {
            await RunningAppHost.DeleteDataAsync(dataDirectory);
        }
    }

    private static async Task<HashSet<DateTimeOffset>> StoredTimesAsync(RunningAppHost appHost, Guid device)
    {
        await using var dataSource = NpgsqlDataSource.Create(await appHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        return [.. await Sql.ListAsync(dataSource, "SELECT recorded_at FROM readings WHERE series_id = $1", r => r.GetFieldValue<DateTimeOffset>(0), device)];
    }
}
