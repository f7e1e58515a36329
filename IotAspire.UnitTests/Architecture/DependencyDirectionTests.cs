using System.Text.Json;
using System.Text.RegularExpressions;

namespace IotAspire.UnitTests.Architecture;

/// <summary>
/// Dependencies point one way: transport -> schema -> features -> heavy-read policy -> readings store -> shared rules, over
/// every folder of the API; below the schema nothing knows GraphQL.NET; the AppHost pulls in no service's packages.
/// Read from the source and the AppHost's restore graph.
/// </summary>
public sealed partial class DependencyDirectionTests
{
    private static readonly string Root = RepositoryRoot.Path;

    /// <summary>
    /// Every folder of the API and its layer. A folder may use folders of lower layers; within a layer only the edges
    /// of <see cref="SameLayerEdges"/>. A folder not listed here fails <see cref="Every_api_folder_has_a_layer"/>, so a
    /// new folder is placed on purpose.
    /// </summary>
    private static readonly Dictionary<string, int> Layers = new()
    {
        ["Errors"] = 0, ["Readings"] = 0, ["Security"] = 0,                        // rules every layer shares
        ["ReadingsStore"] = 1,                                                       // the only code that names the readings tables
        ["HeavyReads"] = 2,                                                          // a policy the read features share
        ["Ingestion"] = 3, ["Materialization"] = 3, ["Aggregation"] = 3, ["RawReadings"] = 3, ["LiveUpdates"] = 3,
        ["Devices"] = 3, ["Retention"] = 3, ["Alerts"] = 3, ["Grafana"] = 3,        // features
        ["Schema"] = 4,                                                              // the GraphQL schema over the features
        ["GraphQLHttp"] = 5, ["GraphQLWebSockets"] = 5, ["OriginalRest"] = 5,        // transports
        ["DeviceProtocols"] = 5,                                                     // MQTT and ThingsBoard's HTTP device API
    };

    /// <summary>The edges allowed between folders of one layer, each with its reason.</summary>
    private static readonly Dictionary<(string From, string To), string> SameLayerEdges = new()
    {
        [("Readings", "Errors")] = "a bad time is refused with the API's error",
        [("Security", "Errors")] = "a caller out of scope is refused with the API's error",
        [("LiveUpdates", "Aggregation")] = "a subscription's arguments are checked by the aggregation rules (AggregateReadings.Check)",
        [("RawReadings", "Aggregation")] = "the CSV export of buckets runs the aggregation use case",
        [("GraphQLWebSockets", "GraphQLHttp")] = "the WebSocket transport shares the HTTP transport's limits and document cache",
        [("OriginalRest", "GraphQLHttp")] = "the original REST API keeps the GraphQL endpoint's body limits",
        [("DeviceProtocols", "GraphQLHttp")] = "the HTTP device API keeps the GraphQL endpoint's body limits",
        [("DeviceProtocols", "OriginalRest")] = "a device may send the original API's array of readings, read by its parser",
    };

    [Fact]
    public void Every_api_folder_has_a_layer()
    {
        var folders = ApiFolders().ToList();
        Assert.Contains("ReadingsStore", folders);
        var unplaced = folders.Where(folder => !Layers.ContainsKey(folder)).ToList();
        var gone = Layers.Keys.Where(folder => !folders.Contains(folder)).ToList();
        Assert.True(unplaced.Count == 0, $"Folders without a layer: {string.Join(", ", unplaced)}");
        Assert.True(gone.Count == 0, $"Layers of folders that no longer exist: {string.Join(", ", gone)}");
    }

    [Fact]
    public void Api_folders_depend_only_downwards()
    {
        var offending = new List<string>();
        foreach (var folder in ApiFolders())
        {
            foreach (var (file, number, used) in References(folder))
            {
                var allowed = used == folder
                    || Layers.TryGetValue(used, out var layer) && (layer < Layers[folder] || SameLayerEdges.ContainsKey((folder, used)));
                if (!allowed)
                {
                    offending.Add($"{file}:{number}: {folder} -> {used}");
                }
            }
        }

        Assert.True(offending.Count == 0, string.Join(Environment.NewLine, offending));
    }

    [Fact]
    public void The_dependency_check_sees_a_reference_upwards()
    {
        // The check itself: a using of a higher layer is found (this very test would pass for any folder otherwise).
        Assert.Equal("Schema", FolderReferences("using IotAspire.Api.Schema;").Single());
        Assert.Equal("Aggregation", FolderReferences("var x = IotAspire.Api.Aggregation.GapFill.Apply();").Single());
        Assert.Empty(FolderReferences("// using IotAspire.Api.Schema;"));
    }

    [Theory]
    [MemberData(nameof(BelowTheSchema))]
    public void Below_the_schema_no_folder_knows_graphql(string folder) => AssertNoLineMatches(folder, GraphQLReference());

    [Theory]
    [MemberData(nameof(OutsideTheStore))]
    public void Only_the_store_names_the_readings_tables(string folder) => AssertNoLineMatches(folder, ReadingsTable());

    private static void AssertNoLineMatches(string folder, Regex forbidden)
    {
        var offending = SourceLines(folder)
            .Where(l => forbidden.IsMatch(l.Line))
            .Select(l => $"{l.File}:{l.Number}: {l.Line}")
            .ToList();

        Assert.True(offending.Count == 0, string.Join(Environment.NewLine, offending));
    }

    [Fact]
    public void The_table_check_sees_a_statement_naming_a_readings_table()
    {
        Assert.Matches(ReadingsTable(), "SELECT recorded_at FROM readings WHERE customer_id = @c");
        Assert.Matches(ReadingsTable(), "UPDATE devices SET reading_count = 0");
        Assert.Matches(ReadingsTable(), "JOIN readings_daily d ON true");
        Assert.DoesNotMatch(ReadingsTable(), "SELECT url FROM alert_webhooks");
        Assert.DoesNotMatch(ReadingsTable(), "the readings from devices");
    }

    public static TheoryData<string> OutsideTheStore() => new(Layers.Keys.Where(folder => folder != "ReadingsStore"));

    public static TheoryData<string> BelowTheSchema() => new(Layers.Where(l => l.Value < Layers["Schema"]).Select(l => l.Key));

    private static IEnumerable<string> ApiFolders() =>
        Directory.EnumerateDirectories(Path.Combine(Root, "IotAspire.Api"))
            .Where(directory => Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
                .Any(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            .Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj"))
            .Select(name => name!);

    private static IEnumerable<(string File, int Number, string Line)> SourceLines(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, "IotAspire.Api", folder), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (File: Path.GetRelativePath(Root, file), Number: index + 1, Line: line.Trim())))
            .Where(l => !l.Line.StartsWith("//", StringComparison.Ordinal));

    private static IEnumerable<(string File, int Number, string Used)> References(string folder) =>
        SourceLines(folder).SelectMany(l => FolderReferences(l.Line).Select(used => (l.File, l.Number, used)));

    /// <summary>The API folders a line uses: by a using directive, or by a namespace-qualified name.</summary>
    private static IEnumerable<string> FolderReferences(string line) =>
        line.TrimStart().StartsWith("//", StringComparison.Ordinal)
            ? []
            : FolderReference().Matches(line).Select(m => m.Groups[1].Value).Distinct();

    // A statement naming a table of the readings store: readings, rollups, pending rows, devices and their claims.
    [GeneratedRegex(@"\b(FROM|JOIN|INTO|UPDATE|ON|TABLE)\s+(readings|readings_five_minute|readings_hourly|readings_daily|rollup_pending|rollup_pending_spans|rollup_pending_counts|ingested_per_minute|devices|device_claims)\b")]
    private static partial Regex ReadingsTable();

    [GeneratedRegex(@"(?<!"")\bIotAspire\.Api\.([A-Z][A-Za-z]+)\b")]   // not a string literal's text
    private static partial Regex FolderReference();

    [Fact]
    public void The_apphost_pulls_in_no_ef_core_no_jwt_bearer_and_no_graphql()
    {
        var assets = Path.Combine(Root, "IotAspire.AppHost", "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} is missing: restore the solution first (dotnet restore).");

        using var json = JsonDocument.Parse(File.ReadAllText(assets));
        var packages = json.RootElement.GetProperty("libraries").EnumerateObject().Select(library => library.Name.Split('/')[0]).ToList();

        Assert.Contains("Aspire.Hosting.AppHost", packages);   // the graph is the AppHost's
        Assert.DoesNotContain(packages, name => name.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
            || name.StartsWith("Npgsql.EntityFrameworkCore", StringComparison.Ordinal)
            || name.Contains("JwtBearer", StringComparison.Ordinal)
            || name.StartsWith("GraphQL", StringComparison.Ordinal));
    }

    // A using of GraphQL.NET, its parser or the API's GraphQL folders, or a namespace-qualified use of them.
    [GeneratedRegex(@"^using\s+(GraphQL|GraphQLParser|IotAspire\.Api\.Schema|IotAspire\.Api\.GraphQLHttp)\b|\bGraphQL(Parser)?\.(?!NET\b)[A-Z]|IotAspire\.Api\.(Schema|GraphQLHttp)\b")]
    private static partial Regex GraphQLReference();
}
