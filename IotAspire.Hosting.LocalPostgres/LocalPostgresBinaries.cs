using System.Diagnostics;
using System.Text.RegularExpressions;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>A folder holding the PostgreSQL server programs (<c>postgres</c>, <c>initdb</c>) and their major version.</summary>
public sealed partial record LocalPostgresBinaries(string BinDirectory, int MajorVersion)
{
    /// <summary>Where distributions put the server programs, which are often not on PATH (Debian, Ubuntu,
    /// RHEL, Homebrew). Newest version first when several are installed.</summary>
    private static readonly string[] WellKnownPatterns =
    [
        "/usr/lib/postgresql/*/bin",
        "/usr/pgsql-*/bin",
        "/opt/homebrew/opt/postgresql@*/bin",
        "/usr/local/opt/postgresql@*/bin",
    ];

    /// <summary>Where <see cref="Find"/> looks, for error messages.</summary>
    public static string SearchedPlaces(string? configuredBinDirectory) =>
        string.IsNullOrWhiteSpace(configuredBinDirectory)
            ? $"PATH, {string.Join(", ", WellKnownPatterns)}"
            : $"Postgres:BinDirectory = {configuredBinDirectory}";

    /// <summary>
    /// Finds the server binaries: <paramref name="configuredBinDirectory"/> (<c>Postgres:BinDirectory</c>)
    /// when given, else PATH, else the distributions' usual folders. Null when there are none.
    /// </summary>
    public static LocalPostgresBinaries? Find(string? configuredBinDirectory, string? pathVariable)
    {
        IEnumerable<string> candidates = string.IsNullOrWhiteSpace(configuredBinDirectory)
            ? (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Concat(WellKnownPatterns.SelectMany(ExpandNewestFirst))
            : [configuredBinDirectory];

        return candidates
            .Where(IsServerBinDirectory)
            .Select(dir => ReadMajorVersion(dir) is { } major ? new LocalPostgresBinaries(dir, major) : null)
            .FirstOrDefault(found => found is not null);
    }

    private static bool IsServerBinDirectory(string dir) =>
        File.Exists(Path.Combine(dir, "postgres")) && File.Exists(Path.Combine(dir, "initdb"));

    private static IEnumerable<string> ExpandNewestFirst(string pattern)
    {
        var star = pattern.IndexOf('*');
        var parent = Path.GetDirectoryName(pattern[..star])!;
        var prefix = Path.GetFileName(pattern[..star]);
        var suffix = pattern[(pattern.IndexOf('/', star) is var slash and >= 0 ? slash : pattern.Length)..];
        if (!Directory.Exists(parent))
        {
            return [];
        }

        return Directory.EnumerateDirectories(parent, prefix + "*")
            .Select(dir => (dir, version: VersionSuffix(Path.GetFileName(dir)[prefix.Length..])))
            .Where(found => found.version is not null)
            .OrderByDescending(found => found.version)
            .Select(found => found.dir + suffix);
    }

    private static Version? VersionSuffix(string text) =>
        Version.TryParse(text.Contains('.') ? text : text + ".0", out var version) ? version : null;

    /// <summary>Runs <c>postgres --version</c> ("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)").</summary>
    private static int? ReadMajorVersion(string binDirectory)
    {
        try
        {
            var info = new ProcessStartInfo(Path.Combine(binDirectory, "postgres"), ["--version"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var match = VersionPattern().Match(output);
            return match.Success ? int.Parse(match.Groups["major"].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    [GeneratedRegex(@"PostgreSQL\)\s+(?<major>\d+)")]
    private static partial Regex VersionPattern();
}
