using System.Diagnostics;
using Npgsql;

namespace IotAspire.Bench;

/// <summary>
/// One benchmark run against a running system: the data set (generated or kept), then ingest, reads and
/// the Grafana panels, one after the other so that they do not share the machine.
/// </summary>
public sealed class BenchRun(BenchTarget target, BenchOptions options)
{
    /// <summary>Reports a phase: its name, and how far it is (done of total), or null when it has no measure.</summary>
    public delegate void Progress(string phase, double? done = null, double? total = null);

    public async Task<BenchReport> RunAsync(Progress progress, CancellationToken ct)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var machine = BenchReport.DescribeMachine();
        // The API's connection options (on Citus, one connection per worker in a transaction), so that the writer and
        // COPY figures beside the API's are taken the same way.
        await using var owner = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(target.ReadingsOwnerConnectionString) { Options = Api.ReadingsStore.CitusDistribution.ConnectionOptions }.ConnectionString);
        using var client = new SystemClient(target);
        var data = new DataSet(options);

        var generated = await data.EnsureAsync(owner, (done, total) => progress("data set", done, total), ct);

        var ingest = new IngestBench(client, owner, options, target);
        var ingestResults = options.Sections.Contains("ingest") ? await ingest.RunAsync(phase => progress(phase), ct) : [];

        var queries = new QueryBench(target, client, data, options);
        var reads = options.Sections.Contains("reads") ? await queries.AggregatesAsync(owner, phase => progress(phase), ct) : [];
        var raw = options.Sections.Contains("raw") ? await queries.RawReadingsAsync(owner, phase => progress(phase), ct) : [];
        var grafana = options.Sections.Contains("grafana") ? await queries.GrafanaAsync(phase => progress(phase), ct) : [];
        var fairness = options.Sections.Contains("fairness")
            ? await new FairnessBench(client, data).RunAsync(options.Quick ? 10 : 100, phase => progress(phase), ct)
            : null;

        var keysBench = new KeysBench(client, owner, options, target);
        var keys = options.Sections.Contains("keys") ? await keysBench.RunAsync(phase => progress(phase), ct)
            : [.. options.Sections.Contains("keys-ingest") ? await keysBench.RunIngestAsync(phase => progress(phase), ct) : [],
                .. options.Sections.Contains("keys-reads") ? await keysBench.RunReadsAsync(phase => progress(phase), ct) : []];

        var mqtt = options.Sections.Contains("mqtt") ? await new MqttBench(client, owner, options, target).RunAsync(phase => progress(phase), ct) : [];

        await using var version = owner.CreateCommand("SHOW server_version");
        return new BenchReport(options, startedAt, clock.Elapsed, machine, (string)(await version.ExecuteScalarAsync(ct))!, generated,
            ingestResults, ingest.ApiPeakMemory, [.. reads, .. raw, .. grafana], ingest.ByTokenKind, ingest.ByLiveSubscriber, ingest.ArrivalOrder, ingest.ByAlertRules, fairness)
        {
            Keys = keys,
            Mqtt = mqtt,
        };
    }

    /// <summary>
    /// Writes <c>&lt;date&gt;.md</c> and <c>&lt;date&gt;.png</c> into the results directory; returns the Markdown file's
    /// path. Runs of several PostgreSQL modes go into one file, <c>&lt;date&gt;-&lt;modes&gt;.md</c>: their figures side
    /// by side first, then each run's own report (and chart).
    /// </summary>
    public static string Write(IReadOnlyList<(string Mode, BenchReport Report)> reports, string directory)
    {
        Directory.CreateDirectory(directory);
        var date = reports[0].Report.StartedAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        if (reports.Count == 1)
        {
            var report = reports[0].Report;
            report.SaveChart(Path.Combine(directory, date + ".png"));
            var single = Path.Combine(directory, date + ".md");
            File.WriteAllText(single, report.ToMarkdown(date + ".png"));
            return single;
        }

        var name = $"{date}-{string.Join("-", reports.Select(r => r.Mode))}";
        var markdown = new System.Text.StringBuilder(BenchReport.SideBySide(reports));
        foreach (var (mode, report) in reports)
        {
            report.SaveChart(Path.Combine(directory, $"{name}-{mode}.png"));
            markdown.AppendLine().AppendLine("# PostgreSQL mode: " + mode).AppendLine().Append(report.ToMarkdown($"{name}-{mode}.png"));
        }

        var path = Path.Combine(directory, name + ".md");
        File.WriteAllText(path, markdown.ToString());
        return path;
    }
}
