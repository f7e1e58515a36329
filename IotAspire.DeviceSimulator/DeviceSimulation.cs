using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace IotAspire.DeviceSimulator;

public sealed record SimulationProgress(long Sent, long Errors, double ReadingsPerSecond);

/// <summary>
/// Signs in as the demo customer (creating it through user management when missing) and sends readings
/// through the <c>ingestReadings</c> mutation. A failed batch is sent again as it was: the API treats a
/// resent reading as unchanged, so retrying is always safe.
/// </summary>
public sealed class DeviceSimulation(HttpClient auth, HttpClient api, SimulatorOptions options, ILogger logger, Random? random = null)
{
    private const string Ingest = "mutation Ingest($readings: [ReadingInput!]!) { ingestReadings(readings: $readings) { inserted updated unchanged } }";
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)];

    private readonly ReadingGenerator generator = new(options.Devices, options.CustomerId, random ?? new Random());
    private string? accessToken;
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

            var batch = generator.Next(perBatch, DateTimeOffset.UtcNow);
            await SendWithRetriesAsync(batch, ct);
            var elapsed = (DateTimeOffset.UtcNow - started).TotalSeconds;
            report(new SimulationProgress(sent, errors, elapsed > 0 ? sent / elapsed : 0));
        }
        while (await timer.WaitForNextTickAsync(ct));
    }

    private async Task SendWithRetriesAsync(List<SimulatedReading> batch, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await SendAsync(batch, ct);
                sent += batch.Count;
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SimulatorException { Retryable: true } && !ct.IsCancellationRequested)
            {
                errors++;
                var wait = Backoff[Math.Min(attempt, Backoff.Length - 1)];
                logger.LogWarning("Sending {Count} readings failed ({Reason}); retrying in {Wait}", batch.Count, e.Message, wait);
                await Task.Delay(wait, ct);
            }
        }
    }

    private async Task SendAsync(List<SimulatedReading> batch, CancellationToken ct)
    {
        accessToken ??= await SignInAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query = Ingest, variables = new { readings = batch } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await api.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            accessToken = null;   // expired: sign in again on the retry
            throw new SimulatorException("the access token expired");
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

    private async Task<string> SignInAsync(CancellationToken ct) =>
        await TryTokenAsync(options.Username, options.Password, ct)
        ?? throw new SimulatorException($"cannot sign in as '{options.Username}'. Run by the AppHost, the token service provisions it "
            + "with the AppHost's simulator-password parameter; standalone, create the customer first and pass Simulator:Password");

    private async Task<string?> TryTokenAsync(string username, string password, CancellationToken ct)
    {
        using var response = await auth.PostAsJsonAsync("/api/token", new { username, password }, ct);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return body.GetProperty("access").GetString();
    }
}

public sealed class SimulatorException(string message, bool retryable = true) : Exception(message)
{
    public bool Retryable { get; } = retryable;
}
