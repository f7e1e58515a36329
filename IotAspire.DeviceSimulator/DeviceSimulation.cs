using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace IotAspire.DeviceSimulator;

public sealed record SimulationProgress(long Sent, long Errors, double ReadingsPerSecond);

/// <summary>
/// Sends readings as the devices themselves, each with its own device token (a device token may send nothing else):
/// each device's readings of a tick go in one batch, through the <c>ingestReadings</c> mutation or, with
/// <see cref="SimulatorOptions.Protocol"/> <c>Mqtt</c>, as one QoS 1 message on the device's own MQTT connection
/// (<see cref="MqttDevices"/>). A failed batch is sent again as it was: the API treats a resent reading as unchanged, so
/// retrying is always safe. A refused token (revoked, unknown) stops the simulator: retrying cannot help.
/// </summary>
public sealed class DeviceSimulation(HttpClient api, SimulatorOptions options, ILogger logger, Random? random = null) : IAsyncDisposable
{
    private const string Ingest = "mutation Ingest($readings: [ReadingInput!]!) { ingestReadings(readings: $readings) { inserted updated unchanged } }";
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)];

    private readonly Dictionary<Guid, string> tokens = options.AllDevices().ToDictionary(d => d.DeviceId, d => d.Token);
    private readonly MqttDevices? mqtt = options.Protocol == SimulatorProtocol.Mqtt ? new MqttDevices(new Uri(options.MqttUrl)) : null;
    private readonly ReadingGenerator generator = new([.. options.AllDevices().Select(d => d.DeviceId)], random ?? new Random());
    private long sent;
    private long errors;

    public IReadOnlyList<Guid> DeviceIds => generator.DeviceIds;

    public async Task RunAsync(Action<SimulationProgress> report, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var perBatch = Math.Max(1, (int)Math.Round(options.ReadingsPerSecond * options.BatchInterval.TotalSeconds));
        using var timer = new PeriodicTimer(options.BatchInterval);
        do
        {
            if (options.Duration is { } duration && DateTimeOffset.UtcNow - started >= duration)
            {
                return;
            }

            foreach (var batch in generator.Next(perBatch, DateTimeOffset.UtcNow).GroupBy(reading => reading.DeviceId))
            {
                await SendWithRetriesAsync(batch.Key, [.. batch], ct);
            }

            var elapsed = (DateTimeOffset.UtcNow - started).TotalSeconds;
            report(new SimulationProgress(sent, errors, elapsed > 0 ? sent / elapsed : 0));
        }
        while (await timer.WaitForNextTickAsync(ct));
    }

    private async Task SendWithRetriesAsync(Guid device, List<SimulatedReading> batch, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await SendAsync(device, batch, ct);
                sent += batch.Count;
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SimulatorException { Retryable: true } && !ct.IsCancellationRequested)
            {
                errors++;
                var wait = Backoff[Math.Min(attempt, Backoff.Length - 1)];
                logger.LogWarning("Sending {Count} readings of device {Device} failed ({Reason}); retrying in {Wait}", batch.Count, device, e.Message, wait);
                await Task.Delay(wait, ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (mqtt is not null)
        {
            await mqtt.DisposeAsync();
        }
    }

    private async Task SendAsync(Guid device, List<SimulatedReading> batch, CancellationToken ct)
    {
        if (mqtt is not null)
        {
            await mqtt.PublishAsync(device, tokens[device], batch, ct);
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query = Ingest, variables = new { readings = batch } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[device]);
        using var response = await api.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new SimulatorException($"the API refused the device token of {device} (revoked, or made for another system); "
                + "create one with createDeviceToken and pass it as Simulator:Devices:N:Token", retryable: false);
        }

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        if (!response.IsSuccessStatusCode || body.TryGetProperty("errors", out _))
        {
            // A refused batch (bad input, a device of another customer) fails the same way every time.
            var refused = body.ToString().Contains("\"BAD_USER_INPUT\"", StringComparison.Ordinal)
                || body.ToString().Contains("\"FORBIDDEN\"", StringComparison.Ordinal);
            throw new SimulatorException($"the API answered {(int)response.StatusCode}: {body}", retryable: !refused);
        }
    }
}

public sealed class SimulatorException(string message, bool retryable = true) : Exception(message)
{
    public bool Retryable { get; } = retryable;
}
