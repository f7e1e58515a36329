using IotAspire.Bench.Grafana;

namespace IotAspire.UnitTests.Grafana;

/// <summary>The expansion the end-to-end dashboard tests rely on, checked on its own.</summary>
public sealed class GrafanaMacrosTests
{
    private static readonly DateTimeOffset From = new(2022, 1, 21, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2022, 1, 21, 12, 0, 0, TimeSpan.Zero);

    private static string Expand(string sql, Dictionary<string, IReadOnlyList<string>>? multi = null, Dictionary<string, string>? single = null) =>
        GrafanaMacros.Expand(sql, From, To, multi ?? [], single ?? []);

    [Fact]
    public void Time_filter_is_an_inclusive_utc_range()
    {
        Assert.Equal("WHERE recorded_at BETWEEN '2022-01-21T10:00:00Z' AND '2022-01-21T12:00:00Z'",
            Expand("WHERE $__timeFilter(recorded_at)"));
    }

    [Fact]
    public void Time_group_floors_epoch_seconds_to_the_interval_and_the_alias_names_it_time()
    {
        Assert.Equal("floor(extract(epoch from recorded_at)/300)*300", Expand("$__timeGroup(recorded_at, 5m)"));
        Assert.Equal("floor(extract(epoch from recorded_at)/3600)*3600 AS \"time\"", Expand("$__timeGroupAlias(recorded_at, $bucket)",
            single: new() { ["bucket"] = "1h" }));
    }

    [Fact]
    public void Multi_value_variables_become_quoted_lists_with_quotes_escaped()
    {
        Assert.Equal("device_id::text IN ('a','b''c')", Expand("device_id::text IN ($device)", multi: new() { ["device"] = ["a", "b'c"] }));
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("1d", 86400)]
    public void Intervals_are_grafanas_units(string interval, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), GrafanaMacros.ParseInterval(interval));
    }

    [Fact]
    public void A_macro_left_unexpanded_fails_the_expansion()
    {
        Assert.Throws<ArgumentException>(() => Expand("SELECT $__unknownMacro()"));
    }

    [Fact]
    public void Every_dashboard_query_expands_completely()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "grafana", "dashboards");
        var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "iot-readings.json"))).RootElement;
        var multi = new Dictionary<string, IReadOnlyList<string>> { ["customer"] = ["c"], ["device"] = ["d"], ["key"] = ["k"], ["series"] = ["s"] };
        var single = new Dictionary<string, string> { ["bucket"] = "5m" };

        var queries = dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("rawSql").GetString()!)
            .ToList();

        Assert.NotEmpty(queries);
        Assert.All(queries, sql => Assert.DoesNotContain("$", Expand(sql, multi, single)));
    }
}
