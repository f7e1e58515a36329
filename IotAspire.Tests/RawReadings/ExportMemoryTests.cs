using System.Diagnostics;
using System.Net.Http.Headers;
using IotAspire.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace IotAspire.Tests.RawReadings;

/// <summary>
/// The export streams: a million readings go out while the API's resident memory, sampled throughout, grows by a
/// small fraction of what was sent (collecting them, as strings or rows, would take several times the file).
/// </summary>
[Collection(AppHostCollection.Name)]
public class ExportMemoryTests(AppHostFixture fixture, ITestOutputHelper output)
{
    private const int Devices = 10;
    private const int PerDevice = 100_000;

    /// <summary>What the API's resident set may grow by while it sends the whole file (about 72 MB).</summary>
    private const long MaxGrowthBytes = 24 * 1024 * 1024;

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task A_million_readings_export_with_the_APIs_memory_flat()
    {
        var (token, customerId) = await auth.NewCustomerAsync();
        var devices = Enumerable.Range(0, Devices).Select(_ => Guid.NewGuid()).ToArray();
        // One reading each through the API registers the devices; the million go in beneath it (the export reads
        // the readings table, and ingesting them through HTTP would cost this suite half a minute).
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = devices.Select(d => new { timestamp = "2024-01-01T00:00:00Z", reading = 0.0, deviceId = d }) }, token);
        await using (var dataSource = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase)))
        {
            await Sql.ExecuteAsync(dataSource, """
                INSERT INTO readings (customer_id, device_id, recorded_at, reading)
                SELECT $1, d, TIMESTAMPTZ '2024-01-01 00:00:01+00' + i * INTERVAL '1 second', i * 0.001 + 0.5
                FROM unnest($2::uuid[]) d, generate_series(0, $3 - 1) i
                """, customerId, devices, PerDevice);
        }

        var pid = ApiProcessId();
        using var http = fixture.AppHost.CreateHttpClient(ResourceNames.Api);
        http.Timeout = TimeSpan.FromMinutes(3);
        await ExportAsync(http, token, "&to=2024-01-01T00:01:00Z");   // warm: the code paths jitted, pools filled
        GC.KeepAlive(http);
        var before = ResidentBytes(pid);
        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentBytes(pid));
                await Task.Delay(20);
            }
        });

        var stopwatch = Stopwatch.StartNew();
        var (lines, bytes) = await ExportAsync(http, token, "");
        stopwatch.Stop();
        await sampling.CancelAsync();
        await sampler;

        output.WriteLine($"{lines} lines, {bytes / 1e6:0.0} MB in {stopwatch.Elapsed.TotalSeconds:0.00} s; API resident {before / 1e6:0.0} MB before, peak {peak / 1e6:0.0} MB (+{(peak - before) / 1e6:0.0} MB)");
        Assert.Equal(1 + Devices + Devices * PerDevice, lines);   // the header, the registering readings, the million
        Assert.True(peak - before < MaxGrowthBytes, $"the API grew by {(peak - before) / 1e6:0.0} MB while exporting {bytes / 1e6:0.0} MB");
    }

    /// <summary>Reads the export as it arrives, counting lines, never holding it.</summary>
    private static async Task<(long Lines, long Bytes)> ExportAsync(HttpClient http, string token, string range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/export?from=2024-01-01T00:00:00Z" + range);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        var (lines, bytes) = (0L, 0L);
        for (var read = await body.ReadAsync(buffer); read > 0; read = await body.ReadAsync(buffer))
        {
            bytes += read;
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return (lines, bytes);
    }

    private int ApiProcessId()
    {
        Assert.True(fixture.AppHost.App.ResourceNotifications.TryGetCurrentState(ResourceNames.Api, out var state), "no state for the API");
        return Convert.ToInt32(state.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>VmRSS of the process, from Linux's /proc (this suite runs where PostgreSQL's local binaries do).</summary>
    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
