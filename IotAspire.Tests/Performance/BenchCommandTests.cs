using IotAspire.Bench;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Performance;

/// <summary>
/// The benchmark command's quick mode, against the test AppHost: it proves that every measurement runs and
/// that the results file and chart are written, not how fast anything is (figures on tiny data mean nothing).
/// </summary>
[Collection(SecondAppHostCollection.Name)]
public sealed class BenchCommandTests(SecondAppHostFixture fixture)
{
    [Fact]
    public async Task The_quick_mode_measures_everything_and_writes_the_results_file_and_chart()
    {
        var readings = await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase);
        var target = new BenchTarget(
            fixture.AppHost.App.GetEndpoint(ResourceNames.Api, "http"), fixture.AppHost.App.GetEndpoint(ResourceNames.Auth, "http"),
            RunningAppHost.AdminUserName, RunningAppHost.AdminPassword, readings,
            BenchAppHost.AsGrafanaReader(readings, RunningAppHost.GrafanaReaderPassword), fixture.AppHost.App.GetEndpoint(ResourceNames.Api, "mqtt"));
        var options = BenchOptions.QuickRun;

        var report = await new BenchRun(target, options).RunAsync((_, _, _) => { }, CancellationToken.None);

        Assert.True(report.Generated);
        Assert.Equal(2 * options.IngestClients.Length, report.Ingest.Count);
        Assert.All(report.Ingest, r => Assert.True(r.Http > 0 && r.Writer > 0 && r.BinaryCopy > 0 && r.UnnestInsert > 0, r.ToString()));
        Assert.Equal([1_000, 10], report.ByTokenKind.Select(r => r.BatchSize));
        Assert.All(report.ByTokenKind, r => Assert.True(r.CustomerToken > 0 && r.DeviceToken > 0, r.ToString()));
        var aggregates = report.Queries.Where(q => q.Section == "deviceAggregates").ToList();
        Assert.Equal(QueryBench.Windows.Length * QueryBench.BucketSizes.Length, aggregates.Count);
        // A year in 1- and 5-minute buckets is over the bucket limit: refused with the API's reason, the rest answered.
        Assert.Equal(["1 year / 1 min", "1 year / 5 min"], aggregates.Where(q => q.Refused is not null).Select(q => q.Shape));
        Assert.All(aggregates.Where(q => q.Refused is null), q => Assert.True(q.Rows > 0 && q.Api!.P50 > 0 && q.Raw!.P50 > 0, q.ToString()));
        Assert.Equal(options.DevicesPerCustomer, report.Queries.Single(q => q.Shape == "as the customer").Rows);
        // Every panel and variable of the dashboard ran as Grafana's role, for both ranges.
        Assert.Equal(2 * 9, report.Queries.Count(q => q.Section == "Grafana"));
        // The keys section: every figure measured, the upgrade checked (it throws when a reading is lost).
        Assert.Equal(13, report.Keys.Count);
        Assert.All(report.Keys, k => Assert.True(k.Ours > 0 && k.Baseline is null or > 0, k.ToString()));
        Assert.Contains(report.Keys, k => k.What.StartsWith("upgrade in place", StringComparison.Ordinal));
        // The MQTT section: rate and latencies against HTTP measured; the memory figure reads whichever API process it finds.
        Assert.Equal(4, report.Mqtt.Count);
        Assert.All(report.Mqtt.Take(3), k => Assert.True(k.Ours > 0 && k.Baseline > 0, k.ToString()));
        Assert.StartsWith("API resident memory per idle MQTT connection", report.Mqtt[3].What, StringComparison.Ordinal);

        var directory = Path.Combine(Path.GetTempPath(), "iotaspire-bench-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var markdown = File.ReadAllText(BenchRun.Write([("local", report)], directory));
            Assert.Contains("cores, load average", markdown);
            Assert.Contains("| 1000 | 4 |", markdown);
            Assert.Contains("panel \"Values ingested per minute\", 24 h", markdown);
            Assert.Contains("## Ingest with device tokens", markdown);
            Assert.Contains("## Named values per device (issue 31)", markdown);
            Assert.Contains("## Devices over MQTT (issue 32)", markdown);
            Assert.True(new FileInfo(Path.ChangeExtension(Path.Combine(directory, $"{report.StartedAt:yyyy-MM-dd}"), ".png")).Length > 1_000);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        // Two modes' runs side by side (here the same report twice: the layout, not the figures).
        var sideBySide = BenchReport.SideBySide([("local", report), ("citus", report)]);
        Assert.Contains("| shape | local | citus | citus / local |", sideBySide);
        Assert.Contains($"| batches of 1000, {options.IngestClients[0]} client(s) |", sideBySide);
        Assert.Contains("| 1.00 |", sideBySide);

        // A second run finds the data set it made and keeps it.
        await using var owner = NpgsqlDataSource.Create(readings);
        Assert.False(await new DataSet(options).EnsureAsync(owner, (_, _) => { }, CancellationToken.None));
    }
}
