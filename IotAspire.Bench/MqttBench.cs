using System.Diagnostics;
using System.Globalization;
using System.Text;
using IotAspire.Api.Devices;
using IotAspire.Api.Security;
using IotAspire.Load;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Npgsql;

namespace IotAspire.Bench;

/// <summary>
/// Devices over MQTT (issue 32), side by side in one run: 1 000 devices, each on its own connection with its own token,
/// each publishing one value at a time at QoS 1 and waiting for its PUBACK, in arrival order, against the HTTP batch
/// path (<c>ingestReadings</c>, 1 000 readings a batch, 2 clients) with the same number of values; then, at half the MQTT
/// rate, the PUBACK latency against one-reading <c>ingestReadings</c> requests at the same rate (each with its device's
/// token, sent on schedule whatever the answers: the latency counts from when a message was due); and the API's resident
/// memory per idle MQTT connection.
/// </summary>
public sealed class MqttBench(SystemClient client, NpgsqlDataSource owner, BenchOptions options, BenchTarget target)
{
    private static readonly Guid Customer = Guid.Parse("b4200000-0000-4000-8000-000000000000");
    private const string Topic = "v1/devices/me/telemetry";

    private int Devices => options.Quick ? 20 : 1_000;
    private int Rounds => options.Quick ? 3 : 20;
    private int IdleConnections => options.Quick ? 200 : 10_000;
    private TimeSpan LatencyRun => options.Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<KeysFigure>> RunAsync(Action<string> progress, CancellationToken ct)
    {
        var server = target.Mqtt ?? throw new InvalidOperationException("The system under test has no MQTT endpoint.");
        await RemoveAsync(ct);
        var devices = Enumerable.Range(0, Devices).Select(i => Guid.Parse($"b4200000-0000-4000-8000-{i + 1:D12}", CultureInfo.InvariantCulture)).ToArray();
        progress($"mqtt: {Devices} device tokens");
        var tokens = new string[Devices];
        var store = new DeviceTokenStore(owner);
        for (var i = 0; i < Devices; i++)
        {
            var id = Guid.NewGuid();
            var (token, hash) = DeviceTokenFormat.New(id);
            await store.CreateAsync(id, devices[i], Customer, hash, "bench", ct);
            tokens[i] = token;
        }

        var figures = new List<KeysFigure>();
        var connections = new IMqttClient[Devices];
        try
        {
            progress($"mqtt: connecting {Devices} devices");
            for (var i = 0; i < Devices; i += 100)
            {
                await Task.WhenAll(Enumerable.Range(i, Math.Min(100, Devices - i)).Select(async d => connections[d] = await ConnectAsync(server, tokens[d], $"bench-{d}", ct)));
            }

            // Arrival order: round r of every device is minute r; HTTP sends the same number of values in minutes after them.
            var origin = BenchOptions.DataEnd.AddDays(-2);
            progress($"mqtt: {Devices} devices x {Rounds} messages, one at a time at QoS 1");
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(connections.Select(async (connection, d) =>
            {
                for (var r = 0; r < Rounds; r++)
                {
                    await PublishAsync(connection, origin.AddMinutes(r), d + r / 10.0, ct);
                }
            }));
            var mqttRate = Devices * Rounds / clock.Elapsed.TotalSeconds;

            progress("mqtt: the same values as ingestReadings batches of 1 000 over HTTP, 2 clients");
            var admin = await client.AdminTokenAsync(ct);
            var readings = Enumerable.Range(0, Rounds).SelectMany(r => devices.Select((device, d) => new
            {
                timestamp = origin.AddMinutes(Rounds + r), reading = d + r / 10.0, deviceId = device, customerId = Customer,
            })).ToArray();
            var batches = readings.Chunk(1_000).Select(batch => SystemClient.Request(
                "mutation($r: [ReadingInput!]!) { ingestReadings(readings: $r) { inserted } }", new { r = batch })).ToArray();
            clock.Restart();
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async c =>
            {
                for (var b = c; b < batches.Length; b += 2)
                {
                    await client.GraphQLAsync(batches[b], admin, ct);
                }
            }));
            var httpRate = readings.Length / clock.Elapsed.TotalSeconds;
            figures.Add(new KeysFigure($"{Devices:N0} devices each on its own MQTT connection, one QoS 1 message of one value at a time: values/s vs ingestReadings batches of 1 000, 2 clients",
                mqttRate, httpRate, "values/s", "HTTP batches"));

            var rate = mqttRate / 2;
            progress($"mqtt: PUBACK latency at {rate:N0} messages/s");
            var next = origin.AddMinutes(3 * Rounds);
            var sent = 0;
            var mqttLatency = await PacedAsync(rate, async () =>
            {
                var n = Interlocked.Increment(ref sent);
                await PublishAsync(connections[n % Devices], next.AddMilliseconds(n), n, ct);
            }, ct);
            progress($"mqtt: one-reading ingestReadings latency at {rate:N0} requests/s");
            // Requests the API refuses for now (its database connections all taken: SERVICE_UNAVAILABLE) are answers too:
            // timed like the rest, and counted.
            var refused = 0;
            var httpLatency = await PacedAsync(rate, async () =>
            {
                var n = Interlocked.Increment(ref sent);
                try
                {
                    await client.GraphQLAsync(SystemClient.Request("mutation($r: [ReadingInput!]!) { ingestReadings(readings: $r) { inserted } }",
                        new { r = new[] { new { timestamp = next.AddMilliseconds(n), reading = (double)n, deviceId = devices[n % Devices] } } }), tokens[n % Devices], ct);
                }
                catch (GraphQLRefusedException)
                {
                    Interlocked.Increment(ref refused);
                }
            }, ct);
            figures.Add(new KeysFigure(
                $"latency p99 at {rate:N0} values/s (half the MQTT rate above): PUBACK vs a one-reading ingestReadings request ({refused:N0} of {(int)(rate * LatencyRun.TotalSeconds):N0} HTTP requests refused for now)",
                mqttLatency.P99, httpLatency.P99, "ms", "HTTP"));
            figures.Add(new KeysFigure($"latency p50 at {rate:N0} values/s: PUBACK vs a one-reading ingestReadings request", mqttLatency.P50, httpLatency.P50, "ms", "HTTP"));

            figures.Add(await IdleMemoryAsync(server, tokens[0], progress, ct));
        }
        finally
        {
            foreach (var connection in connections.Where(c => c is not null))
            {
                await DisconnectAsync(connection);
            }

            await DataSet.WaitUntilFoldedAsync(owner, ct);
            await RemoveAsync(ct);
        }

        return figures;
    }

    /// <summary>The API's resident memory with many idle connections (one device's token, each its own client id) against without.</summary>
    private async Task<KeysFigure> IdleMemoryAsync(Uri server, string token, Action<string> progress, CancellationToken ct)
    {
        var memory = new ApiMemory();
        GC.Collect();
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        memory.Sample();
        var before = memory.Last;
        var idle = new List<IMqttClient>(IdleConnections);
        try
        {
            for (var i = 0; i < IdleConnections; i += 200)
            {
                progress($"mqtt: {i:N0} of {IdleConnections:N0} idle connections");
                idle.AddRange(await Task.WhenAll(Enumerable.Range(i, Math.Min(200, IdleConnections - i)).Select(c => ConnectAsync(server, token, $"bench-idle-{c}", ct, keepAlive: false))));
            }

            await Task.Delay(TimeSpan.FromSeconds(5), ct);
            memory.Sample();
            var perConnection = before is { } b && memory.Last is { } after ? (after - b) / 1024.0 / IdleConnections : double.NaN;
            return new KeysFigure($"API resident memory per idle MQTT connection ({IdleConnections:N0} connections; target <= 20 KB)", perConnection, null, "KB");
        }
        finally
        {
            progress("mqtt: closing the idle connections");
            foreach (var connection in idle)
            {
                await DisconnectAsync(connection);
            }
        }
    }

    private static async Task<IMqttClient> ConnectAsync(Uri server, string token, string clientId, CancellationToken ct, bool keepAlive = true)
    {
        var connection = new MqttClientFactory().CreateMqttClient();
        var result = await connection.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer(server.Host, server.Port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCredentials(token, "").WithClientId(clientId)
            .WithKeepAlivePeriod(keepAlive ? TimeSpan.FromSeconds(60) : TimeSpan.Zero)
            .WithTimeout(TimeSpan.FromSeconds(60))
            .Build(), ct);
        return result.ResultCode == MqttClientConnectResultCode.Success ? connection
            : throw new InvalidOperationException($"The MQTT connection was refused: {result.ResultCode} {result.ReasonString}");
    }

    private static async Task PublishAsync(IMqttClient connection, DateTimeOffset at, double value, CancellationToken ct)
    {
        var payload = string.Create(CultureInfo.InvariantCulture, $"{{\"ts\": {at.ToUnixTimeMilliseconds()}, \"values\": {{\"power\": {value}}}}}");
        var result = await connection.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topic).WithPayload(Encoding.UTF8.GetBytes(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"A bench message was refused: {result.ReasonCode} {result.ReasonString}");
        }
    }

    private static async Task DisconnectAsync(IMqttClient connection)
    {
        try
        {
            if (connection.IsConnected)
            {
                await connection.DisconnectAsync();
            }
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
        }

        connection.Dispose();
    }

    /// <summary>
    /// Starts <paramref name="send"/> at <paramref name="perSecond"/> for <see cref="LatencyRun"/>, on schedule whatever the
    /// answers, and times each from when it was due (so a stall counts against every message it delays).
    /// </summary>
    private async Task<(double P50, double P99)> PacedAsync(double perSecond, Func<Task> send, CancellationToken ct)
    {
        var latencies = new List<double>();
        var running = new List<Task>();
        var total = (int)(perSecond * LatencyRun.TotalSeconds);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total;)
        {
            while (i < total && i / perSecond <= clock.Elapsed.TotalSeconds)
            {
                var due = i / perSecond;
                running.Add(Task.Run(async () =>
                {
                    await send();
                    lock (latencies)
                    {
                        latencies.Add((clock.Elapsed.TotalSeconds - due) * 1_000);
                    }
                }, ct));
                i++;
            }

            await Task.Delay(1, ct);
        }

        await Task.WhenAll(running);
        latencies.Sort();
        return (latencies[latencies.Count / 2], latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(0.99 * latencies.Count) - 1)]);
    }

    private async Task RemoveAsync(CancellationToken ct)
    {
        await DataSet.RemoveAsync(owner, [Customer], ct);
        await using var tokens = owner.CreateCommand("DELETE FROM device_tokens WHERE customer_id = @c");
        tokens.Parameters.Add(new NpgsqlParameter("c", Customer));
        await tokens.ExecuteNonQueryAsync(ct);
    }
}
