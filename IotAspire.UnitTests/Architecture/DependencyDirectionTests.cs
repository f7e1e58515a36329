using System.Text.Json;
using System.Text.RegularExpressions;

namespace IotAspire.UnitTests.Architecture;

/// <summary>
/// Dependencies point one way: the API's feature folders know neither GraphQL.NET nor the schema, and the
/// AppHost pulls in no service's packages. Read from the source and the AppHost's restore graph.
/// </summary>
public sealed partial class DependencyDirectionTests
{
    private static readonly string Root = FindRepositoryRoot();

    [Theory]
    [InlineData("Ingestion")]
    [InlineData("Aggregation")]
    [InlineData("Security")]
    [InlineData("Errors")]
    [InlineData("Grafana")]
    [InlineData("Data")]
    [InlineData("Devices")]
    [InlineData("Readings")]
    public void An_api_feature_folder_knows_neither_graphql_nor_the_schema(string folder)
    {
        var files = Directory.EnumerateFiles(Path.Combine(Root, "IotAspire.Api", folder), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(files);

        var offending = files
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, line: line.Trim(), number: index + 1)))
            .Where(l => !l.line.StartsWith("//", StringComparison.Ordinal) && GraphQLReference().IsMatch(l.line))
            .Select(l => $"{Path.GetRelativePath(Root, l.file)}:{l.number}: {l.line}")
            .ToList();

        Assert.True(offending.Count == 0, string.Join(Environment.NewLine, offending));
    }

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

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IotAspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No IotAspire.sln above {AppContext.BaseDirectory}.");
    }

    // A using of GraphQL.NET, its parser or the API's GraphQL folders, or a namespace-qualified use of them.
    [GeneratedRegex(@"^using\s+(GraphQL|GraphQLParser|IotAspire\.Api\.Schema|IotAspire\.Api\.GraphQLHttp)\b|\bGraphQL(Parser)?\.(?!NET\b)[A-Z]|IotAspire\.Api\.(Schema|GraphQLHttp)\b")]
    private static partial Regex GraphQLReference();
}
