using System.Diagnostics;
using System.Net.Http.Headers;
using IotAspire.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace IotAspire.Tests.RawReadings;

/// <summary>
/// The export streams: a million readings go out, as CSV and as Parquet, while the API's resident memory (the process
/// tree Aspire started, sampled throughout) rises no more than for a tenth of them; collecting them, as strings or rows,
/// would take several times the file.
/// </summary>
[Collection(SecondAppHostCollection.Name)]
public class ExportMemoryTests(SecondAppHostFixture fixture, ITestOutputHelper output)
{
    private const int Devices = 10;
    private const int PerDevice = 100_000;

    /// <summary>
    /// How much more the API's resident set may rise exporting the whole range (a CSV of 66 MB) than exporting a tenth of
    /// it: collecting the rows would take more than the file itself. Streaming rose 21-28 MB more for the whole range in
    /// the suite, where earlier tests have grown the collector's budgets (answers of 86 400 buckets, say): the bound
    /// is half the file.
    /// </summary>
    private const long MaxExtraGrowthBytes = 33 * 1024 * 1024;

    /// <summary>How many times the whole range may be measured before its least growth is judged.</summary>
    private const int Attempts = 3;

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
                INSERT INTO readings (customer_id, series_id, recorded_at, reading)
                SELECT $1, d, TIMESTAMPTZ '2024-01-01 00:00:01+00' + i * INTERVAL '1 second', i * 0.001 + 0.5
                FROM unnest($2::uuid[]) d, generate_series(0, $3 - 1) i
                """, customerId, devices, PerDevice);
        }

        var pid = fixture.AppHost.ProcessIdOf(ResourceNames.Api);
        using var http = fixture.AppHost.CreateHttpClient(ResourceNames.Api);
        http.Timeout = TimeSpan.FromMinutes(3);
        foreach (var format in new[] { "csv", "parquet" })
        {
            // Warm (the code paths jitted, pools and the collector's budgets grown), then a tenth of the range, then all of it:
            // what streams grows the same for both; what collects grows with the range, by several times the tenth's file.
            await ExportAsync(http, token, $"&format={format}&to=2024-01-01T00:01:00Z");
            var tenth = await MeasureAsync(http, token, pid, $"&format={format}&to=2024-01-01T02:46:41Z");
            // Other collections share this API: their answers grow its memory too, at times by more than the file
            // while the export runs (69 MB once, 17 MB alone). A collecting export grows every time, so the whole range
            // is measured up to three times and the least growth is judged.
            var all = await MeasureAsync(http, token, pid, $"&format={format}");
            for (var attempt = 2; attempt <= Attempts && all.Growth - tenth.Growth >= MaxExtraGrowthBytes; attempt++)
            {
                output.WriteLine($"{format}: attempt {attempt - 1} grew {all.Growth / 1e6:0.0} MB; measuring again");
                var again = await MeasureAsync(http, token, pid, $"&format={format}");
                all = again.Growth < all.Growth ? again : all;
            }

            output.WriteLine($"{format}: a tenth {tenth.Lines:N0} lines, {tenth.Bytes / 1e6:0.0} MB, API +{tenth.Growth / 1e6:0.0} MB over {tenth.Before / 1e6:0.0} MB; "
                + $"all {all.Lines:N0} lines, {all.Bytes / 1e6:0.0} MB in {all.Seconds:0.00} s, API +{all.Growth / 1e6:0.0} MB over {all.Before / 1e6:0.0} MB");
            if (format == "csv")
            {
                Assert.Equal(1 + Devices + Devices * PerDevice, all.Lines);   // the header, the registering readings, the million
            }

            Assert.True(all.Bytes > 5 * tenth.Bytes, $"{format}: the whole range ({all.Bytes} bytes) should be about ten times a tenth ({tenth.Bytes})");
            Assert.True(all.Growth - tenth.Growth < MaxExtraGrowthBytes,
                $"{format}: the API grew by {all.Growth / 1e6:0.0} MB exporting {all.Bytes / 1e6:0.0} MB, and by {tenth.Growth / 1e6:0.0} MB exporting a tenth of it");
        }
    }

    private sealed record Measured(long Lines, long Bytes, double Seconds, long Before, long Growth);

    /// <summary>An export while the API's resident memory is sampled every 20 ms: how much it rose above where it started.</summary>
    private static async Task<Measured> MeasureAsync(HttpClient http, string token, int pid, string range)
    {
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
        var (lines, bytes) = await ExportAsync(http, token, range);
        stopwatch.Stop();
        await sampling.CancelAsync();
        await sampler;
        return new Measured(lines, bytes, stopwatch.Elapsed.TotalSeconds, before, Math.Max(0, peak - before));
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

    /// <summary>
    /// VmRSS of the process and every process under it, from Linux's /proc (this suite runs where PostgreSQL's local
    /// binaries do): the pid Aspire reports may be a launcher whose child is the API itself.
    /// </summary>
    private static long ResidentBytes(int pid)
    {
        var total = 0L;
        var pending = new Stack<int>([pid]);
        while (pending.TryPop(out var next))
        {
            try
            {
                var line = File.ReadLines($"/proc/{next}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                foreach (var task in Directory.GetDirectories($"/proc/{next}/task"))
                {
                    foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        pending.Push(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a process that ended meanwhile
            }
        }

        return total;
    }
}
