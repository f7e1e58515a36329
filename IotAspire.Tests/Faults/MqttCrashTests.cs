using System.Collections.Concurrent;
using System.Diagnostics;
using IotAspire.Tests.DeviceProtocols;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Faults;

/// <summary>
/// The API killed outright (SIGKILL) while devices publish over MQTT at QoS 1, on an AppHost of its own. A PUBACK is a
/// promise: every message acknowledged before the kill is stored after a restart, and devices that send again what was
/// not acknowledged (as MQTT clients do on reconnecting) end with exactly one copy of each value.
/// </summary>
public sealed class MqttCrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Devices = 20;
    private const int Messages = 40;
    private const int KillAfterAcknowledged = 150;

    [Fact]
    public async Task Every_message_acknowledged_before_the_API_is_killed_is_stored_and_resending_leaves_one_copy()
    {
        var dataDirectory = RunningAppHost.NewDataDirectory();
        try
        {
            await using var appHost = await RunningAppHost.StartAsync(dataDirectory, ResourceNames.Auth, ResourceNames.Api);
            var graphQL = new GraphQLClient(appHost);
            var (customer, _) = await new TokenServiceClient(appHost).NewCustomerAsync();
            var devices = Enumerable.Range(0, Devices).Select(_ => Guid.NewGuid()).ToArray();
            var tokens = new List<string>();
            foreach (var device in devices)
            {
                tokens.Add((await MqttTelemetryTests.DeviceTokenAsync(graphQL, customer, device)).Token);
            }

            var start = new DateTimeOffset(2023, 3, 1, 0, 0, 0, TimeSpan.Zero);
            string Message(int i) => $$$"""{"ts": {{{start.AddSeconds(i).ToUnixTimeMilliseconds()}}}, "values": {"power": {{{i}}}}}""";
            var acknowledged = new ConcurrentBag<(int Device, int Message)>();
            var killed = 0;
            var apiPid = appHost.ProcessIdOf(ResourceNames.Api);
            var connections = await Task.WhenAll(tokens.Select(t => MqttDevice.ConnectAsync(appHost, t)));
            try
            {
                // Each device publishes one message at a time and stops at its first failure: the API is down.
                await Task.WhenAll(connections.Select((connection, d) => Task.Run(async () =>
                {
                    for (var i = 0; i < Messages; i++)
                    {
                        try
                        {
                            if (!(await connection.PublishAsync(Message(i)).WaitAsync(TimeSpan.FromSeconds(20))).IsSuccess)
                            {
                                return;
                            }
                        }
                        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or TimeoutException or OperationCanceledException)
                        {
                            return;   // the connection died with the API: not acknowledged
                        }

                        acknowledged.Add((d, i));
                        if (acknowledged.Count >= KillAfterAcknowledged && Interlocked.Exchange(ref killed, 1) == 0)
                        {
                            Process.GetProcessById(apiPid).Kill(entireProcessTree: true);
                        }
                    }
                })));
            }
            finally
            {
                foreach (var connection in connections)
                {
                    await connection.DisposeAsync();
                }
            }

            output.WriteLine($"acknowledged: {acknowledged.Count} of {Devices * Messages} messages; API pid {apiPid} killed");
            Assert.Equal(1, killed);
            Assert.True(acknowledged.Count < Devices * Messages, "every message was acknowledged before the kill: nothing was in flight");

            await appHost.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Api, KnownResourceCommands.StartCommand);
            using (var healthy = new CancellationTokenSource(RunningAppHost.StartTimeout))
            {
                await appHost.App.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Api, healthy.Token);
            }

            // Every acknowledged value is there, read straight from the table.
            for (var d = 0; d < Devices; d++)
            {
                var stored = (await MqttTelemetryTests.StoredAsync(appHost, devices[d])).Select(v => v.Value).ToHashSet();
                var lost = acknowledged.Where(a => a.Device == d && !stored.Contains(a.Message)).ToList();
                Assert.True(lost.Count == 0, $"device {d}: {lost.Count} acknowledged values lost");
            }

            // Reconnecting, each device sends again everything from its first unacknowledged message (and one acknowledged
            // before it, as a client unsure of its last PUBACK would): one copy of every value.
            for (var d = 0; d < Devices; d++)
            {
                var from = Enumerable.Range(0, Messages).FirstOrDefault(i => !acknowledged.Contains((d, i)), Messages);
                await using var again = await MqttDevice.ConnectAsync(appHost, tokens[d]);
                for (var i = Math.Max(0, from - 1); i < Messages; i++)
                {
                    Assert.True((await again.PublishAsync(Message(i))).IsSuccess);
                }

                var values = await MqttTelemetryTests.StoredAsync(appHost, devices[d]);
                Assert.Equal(Enumerable.Range(0, Messages).Select(i => (double)i), values.Select(v => v.Value));
            }
        }
        finally
        {
            await RunningAppHost.DeleteDataAsync(dataDirectory);
        }
    }
}
