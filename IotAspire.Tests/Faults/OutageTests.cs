using System.Diagnostics;
using System.Net;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Faults;

/// <summary>
/// Faults of a running system, on an AppHost of its own: PostgreSQL stopped in the middle of a stream of
/// ingest mutations, and the token service down. Failed batches must fail fast and clearly; once PostgreSQL
/// is back, retrying them leaves exactly one copy of every reading and every acknowledged one present.
/// </summary>
public sealed class OutageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int ReadingsPerBatch = 50;
    private static readonly TimeSpan FailWithin = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_database_outage_mid_stream_loses_and_duplicates_nothing_and_tokens_outlive_the_token_service()
    {
        var dataDirectory = RunningAppHost.NewDataDirectory();
        try
        {
            await using var appHost = await RunningAppHost.StartAsync(dataDirectory, ResourceNames.Auth, ResourceNames.Api);
            var auth = new TokenServiceClient(appHost);
            var graphQL = new GraphQLClient(appHost);
            var (token, _) = await auth.NewCustomerAsync();
            var device = Guid.NewGuid();
            var batches = new NumberedBatches(device, new DateTimeOffset(2022, 7, 1, 0, 0, 0, TimeSpan.Zero), ReadingsPerBatch);

            var acknowledged = new List<int>();
            var failed = new List<int>();
            var slowestFailure = TimeSpan.Zero;
            async Task SendAsync(int index)
            {
                var clock = Stopwatch.StartNew();
                var (status, body) = await graphQL.PostAsync(GraphQLDocuments.Ingest, batches.Variables(index), token);
                if (status == HttpStatusCode.OK && !body.TryGetProperty("errors", out _))
                {
                    acknowledged.Add(index);
                    return;
                }

                slowestFailure = clock.Elapsed > slowestFailure ? clock.Elapsed : slowestFailure;
                var code = body.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString();
                Assert.True(code is "SERVICE_UNAVAILABLE" or "TIMEOUT", $"batch {index}: {(int)status} {body}");
                failed.Add(index);
            }

            for (var i = 0; i < 5; i++)
            {
                await SendAsync(i);
            }

            await appHost.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Postgres, KnownResourceCommands.StopCommand);
            var outage = Stopwatch.StartNew();
            for (var i = 5; i < 10; i++)
            {
                await SendAsync(i);
            }

            output.WriteLine($"acknowledged before the outage: {acknowledged.Count}, failed during it: {failed.Count}, slowest failure: {slowestFailure.TotalSeconds:0.0} s");
            Assert.NotEmpty(failed);
            Assert.True(slowestFailure < FailWithin, $"a failed batch took {slowestFailure}");

            await appHost.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Postgres, KnownResourceCommands.StartCommand);
            using (var healthy = new CancellationTokenSource(RunningAppHost.StartTimeout))
            {
                await appHost.App.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.ReadingsDatabase, healthy.Token);
            }

            output.WriteLine($"PostgreSQL back after {outage.Elapsed.TotalSeconds:0.0} s of outage");

            // Retry every failed batch until it is stored (the pool may first hand out a broken connection),
            // and resend two acknowledged ones: resending must be harmless.
            foreach (var index in failed.Concat(acknowledged.Take(2)).ToList())
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

            // Exactly one copy of each of the 10 batches' readings.
            var devices = (await graphQL.DataAsync(GraphQLDocuments.Devices, null, token)).GetProperty("devices");
            Assert.Equal(10 * ReadingsPerBatch, Assert.Single(devices.EnumerateArray()).GetProperty("readingCount").GetInt32());

            // The token service down: the API keeps accepting the token it already holds keys for.
            await appHost.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Auth, KnownResourceCommands.StopCommand);
            var (afterAuthStopped, body2) = await graphQL.PostAsync(GraphQLDocuments.Devices, null, token);
            Assert.Equal(HttpStatusCode.OK, afterAuthStopped);
            Assert.False(body2.TryGetProperty("errors", out _), body2.ToString());
        }
        finally
        {
            await RunningAppHost.DeleteDataAsync(dataDirectory);
        }
    }
}
