using System.Diagnostics;
using System.Net;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Scaling;

/// <summary>
/// A worker stopped and started again: the customers on the other worker go on ingesting, the stopped worker's
/// customers get a clear retryable error (never a 500, never a lost acknowledged reading), and all recovers.
/// </summary>
[Collection(CitusAppHostCollection.Name)]
public sealed class CitusWorkerOutageTests(CitusAppHostFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private const int ReadingsPerBatch = 50;
    // Only a hang fails this (the connect timeout is 5 s; a machine under load may take longer to say so).
    private static readonly TimeSpan FailWithin = TimeSpan.FromSeconds(30);

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task A_stopped_worker_fails_only_its_customers_retryably_and_everything_recovers_without_loss()
    {
        await using var coordinator = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        var customers = await CitusCluster.CustomerPerWorkerAsync(fixture.AppHost, coordinator);
        var (up, down) = (customers[0], customers[1]);
        var tokens = new Dictionary<Guid, string>();
        var devices = new Dictionary<Guid, Guid>();
        foreach (var customer in new[] { up, down })
        {
            tokens[customer.Customer] = (await auth.TokensAsync(await auth.CreateCustomerAsync(customer.Customer, TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword)).Access;
            devices[customer.Customer] = Guid.NewGuid();
        }

        var start = new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero);
        object Batch(Guid customer, int index) => new
        {
            readings = Enumerable.Range(0, ReadingsPerBatch).Select(i => new
            {
                timestamp = start.AddMinutes(index * ReadingsPerBatch + i).ToString("O"),
                reading = index + i / 100.0,
                deviceId = devices[customer],
            }),
        };

        var acknowledged = new Dictionary<Guid, List<int>> { [up.Customer] = [], [down.Customer] = [] };
        var failed = new List<int>();
        async Task<bool> SendAsync(Guid customer, int index)
        {
            var clock = Stopwatch.StartNew();
            var (status, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest, Batch(customer, index), tokens[customer]);
            Assert.Equal(HttpStatusCode.OK, status);
            if (!body.TryGetProperty("errors", out var errors))
            {
                acknowledged[customer].Add(index);
                return true;
            }

            var code = errors[0].GetProperty("extensions").GetProperty("code").GetString();
            Assert.True(code is "SERVICE_UNAVAILABLE" or "TIMEOUT", $"batch {index}: {body}");
            Assert.True(clock.Elapsed < FailWithin, $"batch {index} took {clock.Elapsed} to fail");
            Assert.Contains("Retry", errors[0].GetProperty("message").GetString());
            return false;
        }

        // Both customers' devices are claimed before the outage: a new device is a write to every node (device_claims).
        Assert.True(await SendAsync(up.Customer, 0));
        Assert.True(await SendAsync(down.Customer, 0));

        await fixture.AppHost.App.ResourceCommands.ExecuteCommandAsync(down.WorkerResource, KnownResourceCommands.StopCommand);
        try
        {
            await LocalPostgresProcesses.WaitUntilGoneAsync(down.DataDirectory);
            for (var i = 1; i <= 3; i++)
            {
                Assert.True(await SendAsync(up.Customer, i), $"customer on the running worker, batch {i}");
                if (!await SendAsync(down.Customer, i))
                {
                    failed.Add(i);
                }
            }

            output.WriteLine($"During the outage: {acknowledged[up.Customer].Count - 1} of 3 batches stored for the running worker's customer, {failed.Count} of 3 refused for the stopped one's");
            Assert.Equal([1, 2, 3], failed);
        }
        finally
        {
            await fixture.AppHost.App.ResourceCommands.ExecuteCommandAsync(down.WorkerResource, KnownResourceCommands.StartCommand);
            using var healthy = new CancellationTokenSource(RunningAppHost.StartTimeout);
            await fixture.AppHost.App.ResourceNotifications.WaitForResourceHealthyAsync(down.WorkerResource, healthy.Token);
        }

        // Back: every refused batch is stored on retry (a pooled connection may fail once more), and a resent
        // acknowledged one changes nothing.
        foreach (var index in failed.Append(0))
        {
            for (var attempt = 0; !await SendAsync(down.Customer, index); attempt++)
            {
                Assert.True(attempt < 20, $"batch {index} still refused after the worker came back");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }

        foreach (var (customer, batches) in new[] { (up.Customer, 4), (down.Customer, 4) })
        {
            var stored = (await Sql.ListAsync(coordinator, "SELECT count(*), count(DISTINCT recorded_at) FROM readings WHERE customer_id = $1 AND series_id = $2",
                r => (r.GetInt64(0), r.GetInt64(1)), customer, devices[customer]))[0];
            Assert.Equal((batches * ReadingsPerBatch, (long)batches * ReadingsPerBatch), stored);
        }
    }
}
