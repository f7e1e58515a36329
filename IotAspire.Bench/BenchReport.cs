using System.Globalization;
using System.Text;
using ScottPlot;

namespace IotAspire.Bench;

/// <summary>What one run measured, and the machine it ran on; written as Markdown and as a chart.</summary>
public sealed record BenchReport(
    BenchOptions Options, DateTimeOffset StartedAt, TimeSpan Elapsed, string Machine, string PostgresVersion, bool Generated,
    IReadOnlyList<IngestResult> Ingest, long? ApiPeakMemory, IReadOnlyList<QueryResult> Queries, IReadOnlyList<TokenKindResult> ByTokenKind,
    IReadOnlyList<LiveSubscriberResult> ByLiveSubscriber, IReadOnlyList<ArrivalOrderResult> ArrivalOrder, IReadOnlyList<AlertRulesResult>? ByAlertRules = null, FairnessResult? Fairness = null)
{
    /// <summary>The targets of the performance issue, by shape; a shape not named here has none.</summary>
    public static readonly IReadOnlyDictionary<string, double> TargetsMs = new Dictionary<string, double>
    {
        ["1 day / 5 min"] = 10, ["1 week / 5 min"] = 50, ["1 week / 60 min"] = 10, ["1 week / 1440 min"] = 10, ["1 year / 1440 min"] = 30,
        ["as the customer"] = 5, ["as an administrator (every customer)"] = 20,
    };

    public const double GrafanaTargetMs = 50;

    /// <summary>The keys section's figures (KeysBench), when it ran.</summary>
    public IReadOnlyList<KeysFigure> Keys { get; init; } = [];

    /// <summary>The MQTT section's figures (MqttBench), when it ran.</summary>
    public IReadOnlyList<KeysFigure> Mqtt { get; init; } = [];
    public const double IngestTargetShareOfCopy = 0.70;
    public const double ArrivalTargetShareOfCopy = 0.60;
    public const double LagTargetP95Seconds = 5;

    /// <summary>This machine as the results file's header gives it: cores and load average when the run started.</summary>
    public static string DescribeMachine()
    {
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[..3] : ["n/a"];
        return $"{Environment.ProcessorCount} cores, load average {string.Join(" ", load)} (1, 5, 15 min) at the start, {Environment.OSVersion}, .NET {Environment.Version}";
    }

    /// <summary>
    /// Several runs of one data set in one command, one per PostgreSQL mode (one server, a Citus cluster): ingest
    /// rates and read latencies side by side, with each mode's rate as a share of the first mode's.
    /// </summary>
    public static string SideBySide(IReadOnlyList<(string Mode, BenchReport Report)> runs)
    {
        var md = new StringBuilder();
        var first = runs[0].Report;
        var modes = runs.Select(r => r.Mode).ToList();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Benchmark {first.StartedAt:yyyy-MM-dd HH:mm} UTC: {string.Join(" and ", modes)} side by side{(first.Options.Quick ? " (quick mode: small data, figures mean nothing)" : "")}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Written by `dotnet run -c Release --project IotAspire.Bench -- --postgres {string.Join(",", modes)}`: the same data set and");
        md.AppendLine("measurements in each mode, one after the other on this machine (every node of a Citus cluster shares its cores).");
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {first.Machine}. Data: {first.Options.GeneratedReadings:N0} readings per mode. Each mode's full report follows.");
        md.AppendLine();
        Header("Ingest, readings per second over HTTP", "shape");
        foreach (var ingest in first.Ingest)
        {
            var rates = runs.Select(r => r.Report.Ingest.FirstOrDefault(i => i.BatchSize == ingest.BatchSize && i.Clients == ingest.Clients)?.Http).ToList();
            Row($"batches of {ingest.BatchSize}, {ingest.Clients} client(s)", rates, "N0");
        }

        foreach (var arrival in first.ArrivalOrder)
        {
            var rates = runs.Select(r => r.Report.ArrivalOrder.FirstOrDefault(a => a.Clients == arrival.Clients)?.Http).ToList();
            Row($"arrival order, {arrival.Clients} client(s)", rates, "N0");
        }

        md.AppendLine();
        Header("Reads, p50 ms through the API", "query");
        foreach (var query in first.Queries)
        {
            var p50 = runs.Select(r => r.Report.Queries.FirstOrDefault(q => q.Section == query.Section && q.Shape == query.Shape)?.Api?.P50).ToList();
            Row($"{query.Section}: {query.Shape}", p50, "0.0");
        }

        return md.ToString();

        void Header(string title, string firstColumn)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {title}");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"| {firstColumn} | {string.Join(" | ", modes)} | {string.Join(" | ", modes.Skip(1).Select(m => $"{m} / {modes[0]}"))} |");
            md.AppendLine(CultureInfo.InvariantCulture, $"|---|{string.Concat(modes.Select(_ => "---:|"))}{string.Concat(modes.Skip(1).Select(_ => "---:|"))}");
        }

        void Row(string label, List<double?> values, string format)
        {
            var cells = values.Select(v => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "n/a");
            var ratios = values.Skip(1).Select(v => v is { } x && values[0] is { } baseline && baseline > 0 ? (x / baseline).ToString("0.00", CultureInfo.InvariantCulture) : "n/a");
            md.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {string.Join(" | ", cells)} | {string.Join(" | ", ratios)} |");
        }
    }

    public string ToMarkdown(string chartFile)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Benchmark {StartedAt:yyyy-MM-dd HH:mm} UTC{(Options.Quick ? " (quick mode: small data, figures mean nothing)" : "")}");
        md.AppendLine();
        md.AppendLine("Written by `dotnet run -c Release --project IotAspire.Bench` (docs/performance.md). Ratios are the figures to quote;");
        md.AppendLine("absolute times are this machine's only.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {Machine}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- PostgreSQL: {PostgresVersion}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Data: {Options.Customers} customers x {Options.DevicesPerCustomer} devices, one reading per device per minute in arrival order; {Options.Minutes} minutes each, the first customer {Options.FirstCustomerDays} days: {Options.GeneratedReadings:N0} readings ({(Generated ? "generated by this run" : "kept from an earlier run")}).");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Run: {Elapsed.TotalMinutes:0.0} min; each query {Options.Warmups} untimed + {Options.Iterations} timed runs (p50 and p95 below), or as many as fit in {Percentiles.Budget.TotalSeconds:0} s once there are {Percentiles.MinimumRuns}; reads start after {QueryBench.WarmUpCalls} warm-up calls (tiered JIT).");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Left: ingest rates by batch size x clients. Right: deviceAggregates p50 by window/bucket minutes, API and raw SQL.]({chartFile})");
        md.AppendLine();

        if (Keys.Count > 0)
        {
            md.Append(KeysBench.ToMarkdown("Named values per device (issue 31)", Keys)).AppendLine();
        }

        if (Mqtt.Count > 0)
        {
            md.Append(KeysBench.ToMarkdown("Devices over MQTT (issue 32)", Mqtt)).AppendLine();
        }

        if (ArrivalOrder.Count > 0)
        {
            md.AppendLine("## Ingest in arrival order: readings per second, and the rollups' lag");
            md.AppendLine();
            md.AppendLine("As fleets send: every batch is one reading of each of 1 000 devices of 100 customers, device after device,");
            md.AppendLine("sent by an administrator; every reading new. The four ways as below, same rows, one transaction per batch.");
            md.AppendLine(CultureInfo.InvariantCulture, $"Targets: HTTP >= {ArrivalTargetShareOfCopy:P0} of binary COPY; the rollups' lag (`rollupStatus.lagSeconds`, sampled every 200 ms during the HTTP run) <= {LagTargetP95Seconds} s at the 95th percentile.");
            md.AppendLine();
            md.AppendLine("The last COPY goes into `readings` itself (two years earlier, removed after): the same key over the data set's");
            md.AppendLine("millions of rows, where every batch touches a leaf page per device. HTTP / COPY is against the empty table.");
            md.AppendLine();
            md.AppendLine("| clients | readings | `ingestReadings` over HTTP | `ReadingsWriter` | binary COPY | unnest INSERT | binary COPY into `readings` | HTTP / COPY | HTTP / COPY into `readings` | lag p50 s | lag p95 s | lag max s | caught up after s | target |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var r in ArrivalOrder)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.Clients} | {r.Readings:N0} | {r.Http:N0} | {r.Writer:N0} | {r.BinaryCopy:N0} | {r.UnnestInsert:N0} | {r.CopyIntoReadings:N0} | {r.HttpShareOfCopy:P0} | {r.HttpShareOfCopyIntoReadings:P0} | {r.LagP50:0.00} | {r.LagP95:0.00} | {r.LagMax:0.00} | {r.CatchUpSeconds:0.0} | {Verdict(r.HttpShareOfCopy >= ArrivalTargetShareOfCopy && r.LagP95 <= LagTargetP95Seconds)} |");
            }

            md.AppendLine();
        }

        md.AppendLine("## Ingest: readings per second");
        md.AppendLine();
        md.AppendLine("The same new readings, the same batches and clients, one transaction per batch. Binary COPY goes into a table");
        md.AppendLine("of the readings' shape, key and durability: the physical limit. Target: HTTP >= 70 % of binary COPY.");
        md.AppendLine();
        md.AppendLine("`ReadingsWriter` is the API's own SQL called directly: HTTP minus it is what the API spends outside PostgreSQL.");
        md.AppendLine();
        md.AppendLine("| batch | clients | readings | `ingestReadings` over HTTP | `ReadingsWriter` | binary COPY | unnest INSERT | HTTP / COPY | target |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in Ingest)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.BatchSize} | {r.Clients} | {r.Readings:N0} | {r.Http:N0} | {r.Writer:N0} | {r.BinaryCopy:N0} | {r.UnnestInsert:N0} | {r.HttpShareOfCopy:P0} | {(r.BatchSize == 1_000 ? Verdict(r.HttpShareOfCopy >= IngestTargetShareOfCopy) : "")} |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"API peak memory (RSS) during ingest: {(ApiPeakMemory is { } b ? $"{b / 1024.0 / 1024:0} MB" : "not measured (no IotAspire.Api process on this machine)")}.");
        md.AppendLine();

        if (ByTokenKind.Count > 0)
        {
            md.AppendLine("## Ingest with device tokens: readings per second");
            md.AppendLine();
            md.AppendLine("Over HTTP, each client one device (a device token sends only its own device's readings): the same shape of");
            md.AppendLine("batches sent with the customer's access token, then with each device's own token. Target: as fast.");
            md.AppendLine();
            md.AppendLine("| batch | clients | readings | customer's token | device's token | device / customer |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (var r in ByTokenKind)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.BatchSize} | {r.Clients} | {r.Readings:N0} | {r.CustomerToken:N0} | {r.DeviceToken:N0} | {r.DeviceShareOfCustomer:P0} |");
            }

            md.AppendLine();
        }

        if (ByLiveSubscriber.Count > 0)
        {
            md.AppendLine("## Ingest with a live subscriber: readings per second");
            md.AppendLine();
            md.AppendLine("Over HTTP with the customer's token, each client one device: without any subscriber, then with one");
            md.AppendLine("`readingsIngested` subscriber to all of the customer's readings (ingest then sends a NOTIFY per device and");
            md.AppendLine("batch, and the API reads each batch back for the subscriber). Lag: from the last acknowledgement to the last delivery.");
            md.AppendLine();
            md.AppendLine("| batch | clients | readings | no subscriber | one subscriber | with / without | delivered | lag ms |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in ByLiveSubscriber)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.BatchSize} | {r.Clients} | {r.Readings:N0} | {r.NoSubscriber:N0} | {r.WithSubscriber:N0} | {r.WithShareOfWithout:P0} | {r.Delivered:N0} | {r.LastDeliveryLagMs:N0} |");
            }

            md.AppendLine();
        }

        if (ByAlertRules is { Count: > 0 })
        {
            md.AppendLine("## Ingest with alert rules: readings per second");
            md.AppendLine();
            md.AppendLine("Arrival order over HTTP (batches of one reading of each of 1 000 devices), new devices without rules, then");
            md.AppendLine("devices with one ABOVE rule each (their readings cross it, so rules raise and clear throughout), twice each,");
            md.AppendLine("alternating; each figure is the mean of its two runs (readings: per run).");
            md.AppendLine("Rules are evaluated after the rollups, not in the ingest transaction. Evaluated: seconds after the last batch until");
            md.AppendLine("nothing was left for the evaluator.");
            md.AppendLine();
            md.AppendLine("| clients | readings | rules | no rules | with rules | with / without | lag p95 s without | with | changes recorded | evaluated after s |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in ByAlertRules)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.Clients} | {r.Readings:N0} | {r.Rules:N0} | {r.WithoutRules:N0} | {r.WithRules:N0} | {r.WithShareOfWithout:P0} | {r.LagP95Without:0.00} | {r.LagP95With:0.00} | {r.ChangesRecorded:N0} | {r.EvaluatedAfterSeconds:0.0} |");
            }

            md.AppendLine();
        }

        if (Fairness is { } fair)
        {
            md.AppendLine("## Fairness: one customer's light reads while another runs heavy ones");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Customer B's `devices` over HTTP ({fair.LightIdle.Runs} runs, one after another), alone and while customer A keeps {fair.Parallel} `deviceAggregates` reads of 30 days of 1-minute buckets (two devices, mean, stddev, first, last, two percentiles, LINEAR fill) running. ");
            md.AppendLine("A's reads beyond its turns (`HeavyReads`) wait, then are refused with RESOURCE_EXHAUSTED (429, Retry-After); its clients retry after 200 ms.");
            md.AppendLine(Options.ApiSettings.Count == 0 ? "The API's own settings." : "The API with " + string.Join(", ", Options.ApiSettings.Select(s => $"`{s.Key.Replace("__", ":", StringComparison.Ordinal)}={s.Value}`")) + ".");
            md.AppendLine();
            md.AppendLine("| B's devices | p50 | p95 |");
            md.AppendLine("|---|---:|---:|");
            md.AppendLine(CultureInfo.InvariantCulture, $"| alone | {Ms(fair.LightIdle.P50)} | {Ms(fair.LightIdle.P95)} |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| while A runs {fair.Parallel} heavy reads | {Ms(fair.LightLoaded.P50)} | {Ms(fair.LightLoaded.P95)} |");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"B's p95 under A's load: **{fair.P95Ratio:0.00}x** its p95 alone (bound: 3x: {Verdict(fair.P95Ratio <= 3)}). A's heavy reads meanwhile: {fair.HeavyAnswered} answered, {fair.HeavyRefused} refused for now, {fair.HeavyFailed} failed otherwise.");
            md.AppendLine();
        }

        foreach (var section in Queries.GroupBy(q => q.Section))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {section.Key}: milliseconds");
            md.AppendLine();
            md.AppendLine(section.Key switch
            {
                "deviceAggregates" => "Over HTTP for the first customer's devices, windows ending where the data ends; raw = the best plain GROUP BY over the readings alone (the devices named, so each is one index range), same answer, run by Npgsql beside the API, so without HTTP, GraphQL or JSON.",
                "devices" => "Over HTTP.",
                "raw readings" => "Over HTTP for the first customer's devices: a `readings` page of 1 000 at the start of the last day and 10 pages in, against the same keyset page in plain SQL (device by device, as the API reads) run beside the API; the CSV export of the last day and 30 days (rows streamed to a client that counts them) against `COPY (SELECT ...) TO STDOUT (FORMAT csv)` of the same rows, device by device, read through Npgsql. MB/s at p50.",
                "bucket functions" => "As deviceAggregates above, selecting the functions named (or the mean in a time zone); raw = the plain GROUP BY computing the same functions over the readings alone (in a zone, date_bin over the local time), run beside the API.",
                _ => $"As `grafana_reader`, Grafana's macros expanded as Grafana does, for the first customer's devices, at the dashboard's default bucket. Target <= {GrafanaTargetMs} ms each for 24 h; 30 days is for information.",
            });
            md.AppendLine();
            md.AppendLine("| shape | rows | p50 | p95 | raw p50 | raw p95 | ratio to raw (p50) | target |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
            foreach (var q in section)
            {
                if (q.Refused is not null)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {q.Shape} | | refused: {q.Refused} | | | | | |");
                    continue;
                }

                var target = q.Section == "Grafana" ? (q.Shape.EndsWith(", 24 h", StringComparison.Ordinal) ? GrafanaTargetMs : null)
                    : TargetsMs.TryGetValue(q.Shape, out var t) ? t : (double?)null;
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {q.Shape} | {q.Rows:N0} | {Ms(q.Api?.P50)} | {Ms(q.Api?.P95)} | {Ms(q.Raw?.P50)} | {Ms(q.Raw?.P95)} | {(q.Ratio is { } ratio ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "")} | {(target is { } limit ? $"<= {limit} ms: {Verdict(q.Api!.P50 <= limit)}" : "")} |");
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    /// <summary>Two charts side by side: ingest rates against binary COPY, and aggregate p50 against raw SQL.</summary>
    public void SaveChart(string path)
    {
        UseInstalledFont();
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();

        var ingest = multiplot.GetPlot(0);
        var labels = Ingest.Select(r => $"{r.BatchSize} x {r.Clients}").ToArray();   // batch size x clients
        Bars(ingest, [("ingestReadings over HTTP, k readings/s", Ingest.Select(r => r.Http / 1000).ToArray()), ("binary COPY, k readings/s", Ingest.Select(r => r.BinaryCopy / 1000).ToArray())], labels);

        var answered = Queries.Where(q => q.Section == "deviceAggregates" && q.Refused is null).ToArray();
        var aggregates = multiplot.GetPlot(1);
        Bars(aggregates, [("deviceAggregates over HTTP, p50 ms", answered.Select(q => q.Api!.P50).ToArray()), ("raw SQL, p50 ms", answered.Select(q => q.Raw!.P50).ToArray())],
            [.. answered.Select(q => ShortShape(q.Shape))]);

        multiplot.SavePng(path, 1600, 600);
    }

    // Skia is linked without fontconfig (no native dependencies to install), so it finds no system font by
    // itself: the first TrueType font installed is named to it. Without one the chart has no text; the
    // Markdown file has every figure anyway.
    private static readonly string[] FontDirectories = ["/usr/share/fonts", "/usr/local/share/fonts"];

    private static void UseInstalledFont()
    {
        var font = FontDirectories.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.ttf", SearchOption.AllDirectories))
            .OrderBy(f => Path.GetFileName(f) == "DejaVuSans.ttf" ? 0 : 1).FirstOrDefault();
        if (font is not null)
        {
            Fonts.AddFontFile("Chart", font);
            Fonts.Default = "Chart";
        }
    }

    private static void Bars(Plot plot, (string Name, double[] Values)[] series, string[] labels)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / series.Length;
        for (var s = 0; s < series.Length; s++)
        {
            var bars = series[s].Values.Select((v, i) => new Bar { Position = i + (s * width) - 0.4 + (width / 2), Value = v, Size = width, FillColor = palette.GetColor(s) }).ToArray();
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = palette.GetColor(s) });
        }

        plot.Axes.Bottom.SetTicks([.. labels.Select((_, i) => (double)i)], labels);
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperRight);
    }

    // "1 week / 60 min" -> "1w/60", so that every label fits under its bars.
    private static string ShortShape(string shape) => shape
        .Replace(" days", "d", StringComparison.Ordinal).Replace(" day", "d", StringComparison.Ordinal)
        .Replace(" week", "w", StringComparison.Ordinal).Replace(" year", "y", StringComparison.Ordinal)
        .Replace(" / ", "/", StringComparison.Ordinal).Replace(" min", "", StringComparison.Ordinal);

    private static string Ms(double? value) => value is { } v ? QueryBench.Format(v) : "";

    private static string Verdict(bool met) => met ? "met" : "**not met**";
}
