using System.Globalization;

namespace IotAspire.Bench;

/// <summary>
/// What to measure and on how much data: <c>--customers 100 --devices 10 --minutes 10000 --year-days 365</c>
/// by default (the data set of the performance issue); <c>--quick</c> for a small run that proves the
/// command works. Sizes are per customer; one reading per device per minute.
/// </summary>
public sealed record BenchOptions
{
    public int Customers { get; init; } = 100;
    public int DevicesPerCustomer { get; init; } = 10;

    /// <summary>Minutes of readings for every customer but the first, ending at <see cref="DataEnd"/>.</summary>
    public int Minutes { get; init; } = 10_000;

    /// <summary>Days of readings for the first customer (the one whose aggregates are timed), ending at <see cref="DataEnd"/>.</summary>
    public int FirstCustomerDays { get; init; } = 365;

    /// <summary>Readings sent per ingest configuration with batches of 1 000 (and a tenth of it with batches of 10).</summary>
    public int IngestReadings { get; init; } = 200_000;

    public int[] IngestClients { get; init; } = [1, 4, 16];

    /// <summary>Readings sent per arrival-order configuration (batches of one reading of each of 1 000 devices): long enough to see the rollups' lag.</summary>
    public int ArrivalReadings { get; init; } = 1_000_000;

    public int[] ArrivalClients { get; init; } = [1, 2];

    /// <summary>Alert rules (one per device of the arrival-order fleet) for the ingest-with-rules comparison; 0 skips it.</summary>
    public int AlertRules { get; init; } = 1_000;

    /// <summary>Timed runs of each query, after <see cref="Warmups"/> untimed ones.</summary>
    public int Iterations { get; init; } = 20;
    public int Warmups { get; init; } = 3;

    /// <summary>Where PostgreSQL keeps the data set between runs, so the next run only measures.</summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "iotaspire-bench", "postgres");

    /// <summary>Where the results file and the chart go.</summary>
    public string ResultsDirectory { get; init; } = Path.Combine("bench", "results");

    public bool Quick { get; init; }

    /// <summary>Settings of the API for this run (<c>--api-setting HeavyReads:PerCustomer=64</c>, repeatable), to
    /// measure it with a limit moved: given to the API as environment variables.</summary>
    public IReadOnlyList<(string Key, string Value)> ApiSettings { get; init; } = [];

    /// <summary>
    /// Where PostgreSQL runs, one full run per mode on the same data set, in this order: <c>local</c> (one server)
    /// and/or <c>citus</c> (a coordinator and two workers from local binaries, data in <see cref="DataDirectory"/>-citus).
    /// Several modes write one results file with their figures side by side.
    /// </summary>
    public IReadOnlyList<string> PostgresModes { get; init; } = ["local"];

    public static readonly IReadOnlyList<string> AllPostgresModes = ["local", "citus"];

    /// <summary>The data directory of a mode: the one given for <c>local</c>, beside it for the others.</summary>
    public string DataDirectoryFor(string mode) => mode == "local" ? DataDirectory : DataDirectory.TrimEnd('/') + "-" + mode;

    /// <summary>What to measure: any of ingest, reads (deviceAggregates and devices), raw (readings pages and exports), grafana,
    /// fairness (one customer's light reads while another runs heavy ones).</summary>
    public IReadOnlySet<string> Sections { get; init; } = AllSections;

    public static readonly IReadOnlySet<string> AllSections = new HashSet<string> { "ingest", "reads", "raw", "grafana", "fairness", "keys", "keys-ingest", "keys-reads", "mqtt" };

    /// <summary>The end of the generated readings: fixed, so a kept data set stays valid across days.</summary>
    public static readonly DateTimeOffset DataEnd = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly BenchOptions QuickRun = new()
    {
        // A data directory of its own: the quick data set would otherwise replace the full one.
        // Its results go apart too (and are not committed): they must never stand in for this machine's figures.
        DataDirectory = Path.Combine(Path.GetTempPath(), "iotaspire-bench", "postgres-quick"),
        ResultsDirectory = Path.Combine("bench", "results", "quick"),
        Quick = true, Customers = 2, DevicesPerCustomer = 3, Minutes = 180, FirstCustomerDays = 3,
        IngestReadings = 2_000, IngestClients = [1, 4], ArrivalReadings = 4_000, ArrivalClients = [2], AlertRules = 100, Iterations = 2, Warmups = 1,
    };

    private static string[] ParsePostgresModes(string value)
    {
        var modes = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return modes.Length > 0 && modes.All(AllPostgresModes.Contains) && modes.Distinct().Count() == modes.Length
            ? modes
            : throw new ArgumentException($"--postgres takes a comma-separated list of {string.Join(", ", AllPostgresModes)} (each once), not '{value}'.");
    }

    public long GeneratedReadings =>
        ((long)(Customers - 1) * DevicesPerCustomer * Minutes) + ((long)DevicesPerCustomer * FirstCustomerDays * 1_440);

    /// <summary>Reads <c>--name value</c> pairs (and <c>--quick</c>); an unknown or malformed option is an error naming it.</summary>
    public static BenchOptions Parse(string[] args)
    {
        var options = args.Contains("--quick") ? QuickRun : new BenchOptions();
        var rest = args.Where(a => a != "--quick").ToArray();
        for (var i = 0; i < rest.Length; i += 2)
        {
            var (name, value) = (rest[i], i + 1 < rest.Length ? rest[i + 1] : throw new ArgumentException($"{rest[i]} needs a value."));
            options = name switch
            {
                "--customers" => options with { Customers = Positive(name, value, minimum: 2) },
                "--devices" => options with { DevicesPerCustomer = Positive(name, value) },
                "--minutes" => options with { Minutes = Positive(name, value) },
                "--year-days" => options with { FirstCustomerDays = Positive(name, value) },
                "--ingest-readings" => options with { IngestReadings = Positive(name, value, minimum: 1_000) },
                "--clients" => options with { IngestClients = [.. value.Split(',').Select(v => Positive(name, v))] },
                "--arrival-readings" => options with { ArrivalReadings = Positive(name, value, minimum: 2_000) },
                "--arrival-clients" => options with { ArrivalClients = [.. value.Split(',').Select(v => Positive(name, v))] },
                "--alert-rules" => options with { AlertRules = Positive(name, value, minimum: 0) <= 1_000 ? Positive(name, value, minimum: 0) : throw new ArgumentException($"--alert-rules is at most 1000 (one per device of the arrival fleet), not {value}.") },
                "--iterations" => options with { Iterations = Positive(name, value) },
                "--data-directory" => options with { DataDirectory = Path.GetFullPath(value) },
                "--results" => options with { ResultsDirectory = value },
                "--sections" => options with { Sections = ParseSections(value) },
                "--postgres" => options with { PostgresModes = ParsePostgresModes(value) },
                "--api-setting" => options with { ApiSettings = [.. options.ApiSettings, ParseSetting(value)] },
                _ => throw new ArgumentException(
                    $"Unknown option {name}; use --quick, --customers, --devices, --minutes, --year-days, --ingest-readings, --clients, --arrival-readings, --arrival-clients, --alert-rules, --iterations, --data-directory, --results, --sections, --postgres, --api-setting."),
            };
        }

        return options;
    }

    private static (string Key, string Value) ParseSetting(string value) =>
        value.Split('=', 2) is [var key, var setting] && key.Length > 0 && !key.Contains(' ', StringComparison.Ordinal)
            ? (key.Replace(":", "__", StringComparison.Ordinal), setting)
            : throw new ArgumentException($"--api-setting takes Section:Name=value, for example HeavyReads:PerCustomer=64, not '{value}'.");

    private static HashSet<string> ParseSections(string value)
    {
        var sections = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        return sections.Count > 0 && sections.IsSubsetOf(AllSections)
            ? sections
            : throw new ArgumentException($"--sections takes a comma-separated list of {string.Join(", ", AllSections)}, not '{value}'.");
    }

    private static int Positive(string name, string value, int minimum = 1) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= minimum
            ? number
            : throw new ArgumentException($"{name} must be a whole number of at least {minimum}, not '{value}'.");
}
