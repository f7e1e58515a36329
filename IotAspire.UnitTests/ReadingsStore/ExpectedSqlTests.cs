using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.ReadingsStore;

/// <summary>
/// The full text of every statement the readings store sends over readings, rollups and pending rows, rendered for
/// representative requests and compared with the checked-in <c>expected-sql/*.sql</c>: a change to a statement shows in
/// review as a diff of SQL. To accept a change, run the tests with <c>IOTASPIRE_WRITE_EXPECTED_SQL=1</c> and review the
/// files' diff.
/// <para>
/// Inputs: one customer and every customer (an administrator's read), devices, keys and tags named and not, UTC and a time zone, the
/// rollup functions and the functions only readings give, a plan with rollup parts of each grain and pending spans read
/// from the readings; on one server and on Citus (ingest writes a batch in one statement on one server, by COPY and two
/// statements on Citus). Fill NONE and NULL add no statement (the gaps are filled in C#); PREVIOUS adds the three
/// statements of <c>fill-previous-*.sql</c>.
/// </para>
/// </summary>
public sealed class ExpectedSqlTests
{
    private static readonly string Root = RepositoryRoot.Path;
    private static readonly string Folder = Path.Combine(Root, "IotAspire.UnitTests", "ReadingsStore", "expected-sql");
    private static readonly Guid Customer = Guid.Parse("b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df");
    private static readonly DateTimeOffset From = new(2026, 11, 28, 22, 40, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2026, 12, 3, 1, 5, 0, TimeSpan.Zero);

    /// <summary>Every statement, by the name of its file.</summary>
    public static TheoryData<string> Statements() => new(All().Keys);

    private static SortedDictionary<string, string> All()
    {
        var oneCustomer = new AggregateRequest(Customer, null, From, To, 60);
        var everyCustomer = new AggregateRequest(null, [Guid.Empty], From, To, 5);
        var keysAndTags = new AggregateRequest(Customer, [Guid.Empty], From, To, 60) { Keys = ["temperature"], Tags = [new("site", "berlin")] };
        var oneKey = new AggregateRequest(Customer, null, From, To, 60) { Keys = ["temperature"] };
        var inBerlin = new AggregateRequest(Customer, null, From, To, 60) { Layout = BucketLayout.For(60, "Europe/Berlin") };
        var percentiles = new AggregateRequest(Customer, null, From, To, 60)
        {
            Functions = new BucketFunctions(BucketFunction.Stddev | BucketFunction.First | BucketFunction.Last | BucketFunction.Percentiles, [0.5, 0.95]),
        };
        IReadOnlyList<(DateTimeOffset, DateTimeOffset)> pending = [(From.AddHours(30), From.AddHours(30.5))];

        return new(StringComparer.Ordinal)
        {
            // Ingest: one server (one statement) and Citus (COPY, then the pending rows and notifications).
            ["ingest-upsert"] = ReadingsWriter.UpsertReadingsSql,
            ["ingest-insert-new-2-customers"] = ReadingsWriter.InsertReadingsSqlFor(2),
            ["ingest-citus-copy"] = ReadingsWriter.CopyReadings,
            ["ingest-citus-pending-2-customers"] = ReadingsWriter.InsertPendingSqlFor(2),
            ["ingest-citus-notify"] = ReadingsWriter.NotifyCopiedSql,
            ["ingest-owners"] = DeviceOwners.PlainOwners,
            ["ingest-owners-locked"] = DeviceOwners.LockOwners,
            ["ingest-add-series"] = ReadingsWriter.AddSeriesSql,
            ["ingest-crowded-device"] = ReadingsWriter.CrowdedDeviceSql,

            // The series (a device's key) a request names by devices, keys and tags.
            ["series-of-devices-keys-tags"] = BucketStatements.SeriesOf(SeriesScope.Of(keysAndTags)),
            ["series-every-customer"] = BucketStatements.SeriesOf(SeriesScope.Of(everyCustomer)),
            ["series-names"] = BucketStatements.NamesOfSeries,
            ["latest-values"] = BucketStatements.LatestOf(new SeriesScope(OneCustomer: true, NamedDevices: false, NamedKeys: true, Tags: true)),
            ["latest-customers"] = BucketStatements.CustomersOfSeries(new SeriesScope(OneCustomer: false, NamedDevices: true, NamedKeys: false, Tags: false)),

            // Groups: a key's series with their group, their buckets summed per group, and the readings-only functions.
            ["groups-series-with-tags"] = BucketStatements.GroupedSeries(SeriesScope.Of(keysAndTags)),
            ["groups-buckets-hourly-with-pending"] = BucketStatements.GroupedBuckets(BucketScope.Of(oneKey),
                [.. ReadingRollups.Plan(From, To, ReadingRollups.For(60), pending).Select((segment, i) => BucketStatements.Part(i, segment.Grain, BucketScope.Of(oneKey),
                    sameSizeAsAnswer: segment.Grain?.Minutes == 60, utc: true, BucketFunctions.FromRollups))]),
            ["groups-readings-only-functions"] = BucketStatements.GroupReadings(utc: true, percentiles.Functions),

            // The materializer's fold of one customer over every grain: its take, then its writes in one batch.
            ["fold-pending-customers-citus"] = FoldStatement.PendingCustomers(citus: true),
            ["fold-pending-customers"] = FoldStatement.PendingCustomers(citus: false),
            ["fold-take"] = FoldStatement.Pass.Take,
            ["fold-writes"] = string.Join(";\n\n", FoldStatement.Pass.Writes),

            // Buckets: the plan of each request as the reader makes it (grains that tile the answer, pending spans).
            ["buckets-one-customer-hourly-with-pending"] = BucketStatements.ForPlan(oneCustomer,
                ReadingRollups.Plan(From, To, ReadingRollups.For(60), pending)),
            ["buckets-every-customer-named-devices-5-minutes"] = BucketStatements.ForPlan(everyCustomer,
                ReadingRollups.Plan(From, To, ReadingRollups.For(5))),
            ["buckets-europe-berlin-hourly"] = BucketStatements.ForPlan(inBerlin,
                ReadingRollups.Plan(From, To, inBerlin.Layout.RollupsFor(inBerlin.Layout.Starts(From, To)))),
            ["buckets-readings-only-functions"] = BucketStatements.ForPlan(percentiles, ReadingRollups.Plan(From, To, [])),
            ["buckets-pending-spans-one-customer"] = BucketStatements.PendingSpans(BucketScope.Of(oneCustomer)),
            ["buckets-series-in-range-every-customer"] = BucketStatements.SeriesInRange(BucketScope.Of(everyCustomer)),
            ["buckets-customers-every-customer"] = BucketStatements.Customers(BucketScope.Of(everyCustomer)),
            ["fill-previous-series-with-reading-before"] = BucketStatements.SeriesWithReadingBefore,
            ["fill-previous-last-reading-before"] = BucketStatements.LastReadingBefore,
            ["fill-previous-mean-between"] = BucketStatements.MeanBetween,

            // Retention: a series' readings and rollups deleted before a cut-off, in batches.
            ["retention-series-before"] = RetentionStatements.SeriesBefore,
            ["retention-lock-series"] = RetentionStatements.LockSeries,
            ["retention-delete-readings"] = RetentionStatements.DeleteReadings,
            ["retention-recompute-span"] = RetentionStatements.RecomputeSpan,
            ["retention-delete-rollup-daily"] = RetentionStatements.DeleteRollup(ReadingRollups.Daily),

            // Readings by key range for the live updates and the alert evaluator.
            ["ranges-batch-readings"] = ReadingRanges.BatchReadingsSql,
            ["ranges-rule-bounds"] = ReadingRanges.RuleBoundsSql,
            ["ranges-rule-readings"] = ReadingRanges.RuleReadingsSql,
            ["ranges-no-data-rules"] = ReadingRanges.NoDataRulesSql,

            // Provisioning and a device's name and tags.
            ["devices-register"] = DeviceRegistry.RegisterSql,
            ["devices-set-attributes"] = DeviceAttributesWriter.SetSql,

            // Pending rows: what a series' row adds while batches are pending (the devices' list).
            ["pending-counts-one-customer"] = PendingRollups.CountsQuery("@customer_id"),
        };
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public void A_statement_is_the_checked_in_sql(string name)
    {
        var actual = Normalized(All()[name]);
        var file = Path.Combine(Folder, name + ".sql");
        if (Environment.GetEnvironmentVariable("IOTASPIRE_WRITE_EXPECTED_SQL") == "1")
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllText(file, actual);
        }

        Assert.True(File.Exists(file), $"{file} is missing: run with IOTASPIRE_WRITE_EXPECTED_SQL=1 and review it.");
        Assert.Equal(Normalized(File.ReadAllText(file)), actual);
    }

    [Fact]
    public void Every_checked_in_file_is_a_statement_still()
    {
        var names = All().Keys.ToHashSet();
        var stale = Directory.EnumerateFiles(Folder, "*.sql").Select(Path.GetFileNameWithoutExtension).Where(name => !names.Contains(name!)).ToList();
        Assert.True(stale.Count == 0, $"expected-sql files of no statement: {string.Join(", ", stale)}");
    }

    [Fact]
    public void The_fold_writes_every_grain_once_each_from_the_one_before()
    {
        var pass = string.Join(";\n", FoldStatement.Pass.Writes);
        foreach (var grain in ReadingRollups.All)
        {
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(pass, $@"INSERT INTO {grain.Table}\b"));
        }

        // Each write is a statement of its own, with no INSERT in its CTEs: what Citus routes whole to the customer's worker.
        Assert.All(FoldStatement.Pass.Writes, write => Assert.Single(System.Text.RegularExpressions.Regex.Matches(write, @"\bINSERT INTO\b")));

        // A grain added to the declaration is folded by the same statement builder.
        var withWeekly = string.Join(";\n", FoldStatement.For([.. ReadingRollups.All, new RollupGrain("readings_weekly", 10_080)]).Writes);
        Assert.Contains("INSERT INTO readings_weekly", withWeekly, StringComparison.Ordinal);
        Assert.Contains("FROM readings_daily f", withWeekly, StringComparison.Ordinal);
        Assert.Contains("INTERVAL '7 days'", withWeekly, StringComparison.Ordinal);
    }

    [Fact]
    public void The_folds_writes_take_only_the_write_parameters_and_the_take_returns_each_array()
    {
        var names = typeof(FoldStatement.WriteParameter).GetFields().Select(field => (string)field.GetRawConstantValue()!).ToHashSet();
        var used = FoldStatement.Pass.Writes.SelectMany(write => System.Text.RegularExpressions.Regex.Matches(write, @"@(\w+)").Select(m => m.Groups[1].Value)).ToHashSet();

        Assert.Equal(names.Order(), used.Order());
        Assert.All(names.Where(name => name != FoldStatement.WriteParameter.GroupCustomers),
            name => Assert.Contains($" AS {name}", FoldStatement.Pass.Take, StringComparison.Ordinal));
    }

    private static string Normalized(string sql) =>
        string.Join("\n", sql.ReplaceLineEndings("\n").Split('\n').Select(line => line.TrimEnd())).Trim() + "\n";
}
