using System.Text.Json;
using IotAspire.Bench.Grafana;
using IotAspire.Tests.Infrastructure;
using Npgsql;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Tests.Grafana;

/// <summary>The provisioned dashboards, run as Grafana would run them: as the read-only role, macros expanded.</summary>
[Collection(AppHostCollection.Name)]
public sealed class GrafanaDashboardTests(AppHostFixture fixture)
{
    private const string DataSourceUid = "iotaspire-readings";
    private static readonly string DashboardFolder = Path.Combine(AppContext.BaseDirectory, "grafana", "dashboards");

    public static TheoryData<string> Dashboards() => [.. Directory.GetFiles(DashboardFolder, "*.json").Select(file => Path.GetFileName(file))];

    [Theory]
    [MemberData(nameof(Dashboards))]
    public void Every_panel_and_variable_uses_the_provisioned_data_source(string file)
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(DashboardFolder, file))).RootElement;

        var targets = dashboard.GetProperty("panels").EnumerateArray().SelectMany(p => p.GetProperty("targets").EnumerateArray()).ToList();
        var queryVariables = QueryVariables(dashboard).ToList();

        Assert.NotEmpty(targets);
        Assert.All(targets.Concat(queryVariables), element =>
            Assert.Equal(DataSourceUid, element.GetProperty("datasource").GetProperty("uid").GetString()));
    }

    [Fact]
    public async Task Every_query_runs_as_the_read_only_role_and_the_time_series_equals_the_API_aggregates()
    {
        // A customer of its own with the sample readings (fresh ids, same values and times).
        var (customer, deviceA, deviceB) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var start = new DateTimeOffset(2022, 1, 21, 10, 0, 0, TimeSpan.Zero);
        var seed = SeedReading.Load("customer1_readings.json");
        var devices = seed.Select(r => r.DeviceId).Distinct().ToList();
        var readings = seed.Select(r => new ReadingToStore(customer, r.DeviceId == devices[0] ? deviceA : deviceB, r.RecordedAt, r.Reading)).ToList();
        var readingsConnection = await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase);
        await using (var owner = NpgsqlDataSource.Create(readingsConnection))
        {
            Assert.IsType<IngestOutcome.Stored>(await new ReadingsWriter(owner).WriteAsync(readings, default));
        }

        await using var reader = NpgsqlDataSource.Create(RunningAppHost.AsGrafanaReader(readingsConnection));
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(DashboardFolder, "iot-readings.json"))).RootElement;
        var (from, to) = (start, start.AddHours(2).AddSeconds(-1));   // Grafana's range is inclusive; the API's is not
        var multi = new Dictionary<string, IReadOnlyList<string>>
        {
            ["customer"] = [customer.ToString()],
            ["device"] = [deviceA.ToString(), deviceB.ToString()],
            ["key"] = ["reading"],
            ["series"] = [deviceA.ToString(), deviceB.ToString()],   // key reading: a device's series is the device
        };
        var single = new Dictionary<string, string> { ["bucket"] = "5m" };

        // Variables: the customer list holds ours, the device list (for our customer) our two devices, the keys theirs, the
        // hidden series list their series.
        foreach (var variable in QueryVariables(dashboard))
        {
            var values = await Sql.ListAsync(reader, GrafanaMacros.Expand(variable.GetProperty("query").GetString()!, from, to, multi, single), Sql.Values);
            var expected = variable.GetProperty("name").GetString() == "customer" ? [customer.ToString()] : multi[variable.GetProperty("name").GetString()!];
            Assert.Superset(expected.ToHashSet(), values.Select(row => (string)row[0]).ToHashSet());
        }

        // Panels: each runs, and returns rows for our data. Ingestion happened just now, reading times in 2022.
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            var rawSql = panel.GetProperty("targets")[0].GetProperty("rawSql").GetString()!;
            var (panelFrom, panelTo) = rawSql.Contains("ingested_per_minute") ? (DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1)) : (from, to);
            Assert.NotEmpty(await Sql.ListAsync(reader, GrafanaMacros.Expand(rawSql, panelFrom, panelTo, multi, single), Sql.Values));
        }

        // The alerts annotation: our customer's change at its reading time, as Grafana's role; another customer's not.
        await using (var owner = NpgsqlDataSource.Create(readingsConnection))
        {
            foreach (var (who, device) in new[] { (customer, deviceA), (Guid.NewGuid(), Guid.NewGuid()) })
            {
                await Sql.ExecuteAsync(owner, "INSERT INTO alert_events (customer_id, rule_id, device_id, state, at, message) VALUES ($1, $2, $3, 'RAISED', $4, 'hot')",
                    who, Guid.NewGuid(), device, start.AddMinutes(30));
            }
        }

        var annotation = dashboard.GetProperty("annotations").GetProperty("list")[0];
        Assert.Equal(DataSourceUid, annotation.GetProperty("target").GetProperty("datasource").GetProperty("uid").GetString());
        var annotations = await Sql.ListAsync(reader, GrafanaMacros.Expand(annotation.GetProperty("target").GetProperty("rawSql").GetString()!, from, to, multi, single), Sql.Values);
        Assert.Equal("RAISED: hot", (string)Assert.Single(annotations)[1]);

        // The mean panel reads whole buckets from the rollup that tiles $bucket and readings only for 1m and the
        // range's partial last buckets (its range ends a second before the API's): each size equals the API.
        var timeSeries = dashboard.GetProperty("panels").EnumerateArray().First(p => p.GetProperty("title").GetString() == "Mean value per device and key");
        await using var owner2 = NpgsqlDataSource.Create(readingsConnection);
        foreach (var (bucket, minutes) in new[] { ("1m", 1), ("5m", 5), ("15m", 15), ("1h", 60), ("1d", 1_440) })
        {
            var rows = await Sql.ListAsync(reader, GrafanaMacros.Expand(timeSeries.GetProperty("targets")[0].GetProperty("rawSql").GetString()!, from, to, multi,
                new Dictionary<string, string> { ["bucket"] = bucket }), Sql.Values);
            var grafana = rows.ToDictionary(
                row => (Guid.Parse(((string)row[1]).Split(' ')[0]), DateTimeOffset.FromUnixTimeSeconds((long)Convert.ToDouble(row[0]))),
                row => Convert.ToDouble(row[2]));

            var api = await new DeviceAggregatesReader(owner2).ReadAsync(new AggregateRequest(customer, null, start, start.AddHours(2), minutes), default);
            var apiMeans = api.SelectMany(a => a.AggregatedValues.Select(v => ((a.DeviceId, v.From), v.Value!.Value))).ToDictionary();
            Assert.NotEmpty(apiMeans);
            SeedReading.AssertSameMeans(apiMeans, grafana);
        }
    }

    /// <summary>JIT compilation took longer than a panel's whole query (the NoJit migration says why).</summary>
    [Fact]
    public async Task Sessions_on_the_readings_database_run_without_jit()
    {
        var readingsConnection = await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase);
        await using var reader = NpgsqlDataSource.Create(RunningAppHost.AsGrafanaReader(readingsConnection));

        var rows = await Sql.ListAsync(reader, "SHOW jit", Sql.Values);

        Assert.Equal("off", (string)Assert.Single(rows)[0]);
    }

    [Theory]
    [InlineData("INSERT INTO devices (id, customer_id, first_seen_at) VALUES (gen_random_uuid(), gen_random_uuid(), now())")]
    [InlineData("UPDATE readings SET reading = 0")]
    [InlineData("DELETE FROM readings")]
    [InlineData("CREATE TABLE intruder (id int)")]
    [InlineData("SELECT * FROM \"__EFMigrationsHistory\"")]
    [InlineData("SELECT secret_hash FROM device_tokens")]
    public async Task The_read_only_role_cannot_write_or_read_beyond_the_readings_tables(string sql)
    {
        var readingsConnection = await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase);
        await using var reader = NpgsqlDataSource.Create(RunningAppHost.AsGrafanaReader(readingsConnection));

        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ListAsync(reader, sql, Sql.Values));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task The_read_only_role_cannot_reach_the_accounts_database()
    {
        var accounts = await fixture.AppHost.ConnectionStringAsync(ResourceNames.AccountsDatabase);
        await using var reader = NpgsqlDataSource.Create(RunningAppHost.AsGrafanaReader(accounts));

        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ListAsync(reader, "SELECT 1", Sql.Values));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    private static IEnumerable<JsonElement> QueryVariables(JsonElement dashboard) =>
        dashboard.GetProperty("templating").GetProperty("list").EnumerateArray().Where(v => v.GetProperty("type").GetString() == "query");
}
