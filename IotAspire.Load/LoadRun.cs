using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace IotAspire.Load;

/// <summary>
/// Devices of a customer of its own send batches concurrently for a while, retrying failures and now and
/// then resending a batch on purpose; then what the API stored is compared with what was acknowledged:
/// the count of distinct (device, timestamp) and every hourly mean, computed here independently.
/// </summary>
public sealed class LoadRun(HttpClient auth, HttpClient api, LoadOptions options)
{
    private const string Ingest = "mutation($r: [ReadingInput!]!) { ingestReadings(readings: $r) { inserted updated unchanged } }";
    private static readonly DateTimeOffset Epoch = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TokenServiceCalls tokenService = new(auth);
    private readonly ConcurrentDictionary<(Guid Device, DateTimeOffset At), double> acknowledged = new();
    private string userName = "";
    private string password = "";
    private string token = "";
    private long batches;
    private long resent;
    private long failedAttempts;
    private long readingsSent;

    public async Task<LoadReport> RunAsync(Action<string>? progress, CancellationToken ct)
    {
        await CreateCustomerAsync(ct);
        var devices = Enumerable.Range(0, options.Devices).Select(_ => Guid.NewGuid()).ToArray();
        var memory = new ApiMemory();
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(options.Duration);

        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                memory.Sample();
                progress?.Invoke($"{clock.Elapsed:mm\\:ss} readings sent: {Interlocked.Read(ref readingsSent)}, batches: {Interlocked.Read(ref batches)}, retries: {Interlocked.Read(ref failedAttempts)}");
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        }, CancellationToken.None);

        await Task.WhenAll(devices.Select((device, index) => SendUntilStoppedAsync(device, new Random(index), stop.Token)));
        var elapsed = clock.Elapsed;
        await sampler;
        memory.Sample();

        var (stored, compared, differing) = await VerifyAsync(devices, ct);
        return new LoadReport(options.Devices, elapsed, batches, resent, failedAttempts, readingsSent, acknowledged.Count, stored,
            compared, differing, memory.Start, memory.Peak, memory.Last);
    }

    private async Task SendUntilStoppedAsync(Guid device, Random random, CancellationToken stop)
    {
        object[]? previous = null;
        for (var batch = 0; !stop.IsCancellationRequested; batch++)
        {
            // Readings one second apart per device, values with noise; timestamps in whole microseconds.
            var readings = Enumerable.Range(0, options.BatchSize)
                .Select(i => (At: Epoch.AddSeconds((long)batch * options.BatchSize + i), Value: Math.Round(random.NextDouble() * 100, 6)))
                .ToList();
            var body = readings.Select(r => (object)new { timestamp = r.At.ToString("O"), reading = r.Value, deviceId = device }).ToArray();
            await SendWithRetriesAsync(body);
            foreach (var (at, value) in readings)
            {
                acknowledged[(device, at)] = value;
            }

            if (previous is not null && batch % options.ResendEvery == 0)
            {
                await SendWithRetriesAsync(previous);   // a device that missed the answer sends again
                Interlocked.Increment(ref resent);
            }

            previous = body;
            try
            {
                await Task.Delay(options.Interval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Until acknowledged: a batch that was only sent may or may not be stored, and resending is harmless.</summary>
    private async Task SendWithRetriesAsync(object[] readings)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query = Ingest, variables = new { r = readings } }) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await api.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    token = await SignInAsync(userName, password, CancellationToken.None);   // the access token expired
                }
                else if (response.IsSuccessStatusCode && !(await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("errors", out _))
                {
                    Interlocked.Increment(ref batches);
                    Interlocked.Add(ref readingsSent, readings.Length);
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            Interlocked.Increment(ref failedAttempts);
            if (attempt >= 30)
            {
                throw new InvalidOperationException("A batch was refused 30 times in a row; the system is not taking readings.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(attempt, 10)));
        }
    }

    private async Task<(long Stored, int Compared, int Differing)> VerifyAsync(Guid[] devices, CancellationToken ct)
    {
        var listed = await QueryAsync("{ devices { id readingCount } }", null, ct);
        var stored = listed.GetProperty("devices").EnumerateArray()
            .Where(d => devices.Contains(d.GetProperty("id").GetGuid()))
            .Sum(d => (long)d.GetProperty("readingCount").GetInt32());

        var expected = acknowledged
            .GroupBy(r => (r.Key.Device, Hour: Epoch.AddHours(Math.Floor((r.Key.At - Epoch).TotalHours))))
            .ToDictionary(g => g.Key, g => g.Average(r => r.Value));
        var to = acknowledged.Keys.Select(k => k.At).DefaultIfEmpty(Epoch).Max().AddHours(1);
        var aggregates = await QueryAsync(
            "query($f: DateTime, $t: DateTime) { deviceAggregates(from: $f, to: $t, aggregationSizeMinutes: 60) { deviceId aggregatedValues { from value } } }",
            new { f = Epoch.ToString("O"), t = to.ToString("O") }, ct);
        var actual = aggregates.GetProperty("deviceAggregates").EnumerateArray()
            .SelectMany(a => a.GetProperty("aggregatedValues").EnumerateArray().Select(v => (
                Key: (a.GetProperty("deviceId").GetGuid(), DateTimeOffset.Parse(v.GetProperty("from").GetString()!, System.Globalization.CultureInfo.InvariantCulture)),
                Value: v.GetProperty("value").GetDouble())))
            .ToDictionary(b => b.Key, b => b.Value);

        var differing = expected.Count(e => !actual.TryGetValue(e.Key, out var mean) || Math.Abs(mean - e.Value) > 1e-9) + actual.Keys.Count(k => !expected.ContainsKey(k));
        return (stored, expected.Count, differing);
    }

    private async Task<JsonElement> QueryAsync(string query, object? variables, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token = await SignInAsync(userName, password, ct));
        using var response = await api.SendAsync(request, ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return body.TryGetProperty("errors", out var errors) ? throw new InvalidOperationException($"The API refused {query}: {errors}") : body.GetProperty("data");
    }

    private async Task CreateCustomerAsync(CancellationToken ct)
    {
        userName = $"load-{Guid.NewGuid():N}"[..24];
        password = $"Load-{Guid.NewGuid():N}"[..20] + "-9";
        var admin = await SignInAsync(options.AdminUsername, options.AdminPassword, ct);
        await tokenService.CreateCustomerAsync(admin, userName, password, Guid.NewGuid(), mayExist: false, ct);
        token = await SignInAsync(userName, password, ct);
    }

    private Task<string> SignInAsync(string user, string secret, CancellationToken ct) => tokenService.SignInAsync(user, secret, ct);
}
