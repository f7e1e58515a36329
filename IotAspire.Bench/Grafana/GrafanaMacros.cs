using System.Globalization;
using System.Text.RegularExpressions;

namespace IotAspire.Bench.Grafana;

/// <summary>
/// Expands a Grafana PostgreSQL panel query the way Grafana 11's PostgreSQL data source does, so the
/// dashboard's SQL can run against the real database without Grafana: in tests, and timed by the benchmark. The expansion assumed:
/// <list type="bullet">
/// <item><c>$__timeFilter(col)</c> -> <c>col BETWEEN '{from}' AND '{to}'</c> (inclusive, ISO-8601 UTC)</item>
/// <item><c>$__timeGroup(col, 5m)</c> -> <c>floor(extract(epoch from col)/300)*300</c></item>
/// <item><c>$__timeGroupAlias(col, 5m)</c> -> the same with <c>AS "time"</c></item>
/// <item><c>$__timeFrom()</c> / <c>$__timeTo()</c> -> <c>'{from}'</c> / <c>'{to}'</c></item>
/// <item><c>$name</c> of a multi-value variable -> its values as a comma-separated list of quoted strings;
/// of a single-value variable (the bucket) -> the value as written, e.g. <c>5m</c></item>
/// </list>
/// </summary>
public static partial class GrafanaMacros
{
    public static string Expand(string sql, DateTimeOffset from, DateTimeOffset to,
        IReadOnlyDictionary<string, IReadOnlyList<string>> multiValues, IReadOnlyDictionary<string, string> singleValues)
    {
        foreach (var (name, values) in multiValues)
        {
            sql = sql.Replace("$" + name, string.Join(",", values.Select(v => "'" + v.Replace("'", "''") + "'")));
        }

        foreach (var (name, value) in singleValues)
        {
            sql = sql.Replace("$" + name, value);
        }

        var fromText = "'" + from.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "'";
        var toText = "'" + to.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "'";
        sql = TimeFilter().Replace(sql, m => $"{m.Groups["col"].Value} BETWEEN {fromText} AND {toText}");
        sql = TimeGroup().Replace(sql, m =>
        {
            var seconds = (long)ParseInterval(m.Groups["interval"].Value).TotalSeconds;
            var group = $"floor(extract(epoch from {m.Groups["col"].Value})/{seconds})*{seconds}";
            return m.Groups["alias"].Success ? group + " AS \"time\"" : group;
        });
        sql = sql.Replace("$__timeFrom()", fromText).Replace("$__timeTo()", toText);

        return sql.Contains('$', StringComparison.Ordinal)
            ? throw new ArgumentException($"A Grafana macro or variable is left unexpanded in: {sql}")
            : sql;
    }

    public static TimeSpan ParseInterval(string interval) => interval[^1] switch
    {
        's' => TimeSpan.FromSeconds(int.Parse(interval[..^1], CultureInfo.InvariantCulture)),
        'm' => TimeSpan.FromMinutes(int.Parse(interval[..^1], CultureInfo.InvariantCulture)),
        'h' => TimeSpan.FromHours(int.Parse(interval[..^1], CultureInfo.InvariantCulture)),
        'd' => TimeSpan.FromDays(int.Parse(interval[..^1], CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"Unknown interval '{interval}'."),
    };

    [GeneratedRegex(@"\$__timeFilter\((?<col>[^)]+)\)")]
    private static partial Regex TimeFilter();

    [GeneratedRegex(@"\$__timeGroup(?<alias>Alias)?\((?<col>[^,]+),\s*(?<interval>[^)]+)\)")]
    private static partial Regex TimeGroup();
}
