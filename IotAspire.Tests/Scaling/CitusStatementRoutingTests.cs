using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using IotAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace IotAspire.Tests.Scaling;

/// <summary>
/// Every statement the API runs for one customer carries that customer's id, so Citus routes it to the one worker
/// holding the customer's shards. Checked by what the coordinator ran, not by reading the code: the Citus fixture
/// runs with <c>Postgres:LogMultiShardStatements</c>, so the coordinator logs every statement it splits into more
/// than one shard's task, with its text. A customer's whole workflow goes through the API; then every such statement
/// must be one the code marks as reading every customer (<see cref="EveryCustomerMarker"/>): a new statement that
/// forgets the customer fails here. (<c>citus_stat_statements</c> cannot say it: it records no partition key for a
/// statement with a CTE that writes, or an INSERT ... SELECT, even when it reaches one shard.)
/// </summary>
[Collection(CitusAppHostCollection.Name)]
public sealed class CitusStatementRoutingTests(CitusAppHostFixture fixture)
{
    /// <summary>The comment that marks a statement as meant to read or write every customer's shards (docs/scaling.md).</summary>
    public const string EveryCustomerMarker = Api.ReadingsStore.CitusDistribution.EveryCustomerMarker;

    private const string MultiShardLine = "LOG:  multi-task query about to be executed";

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task A_customers_workflow_runs_only_statements_routed_to_its_shards_or_marked_as_every_customers()
    {
        await using var coordinator = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        await using var log = await CoordinatorLog.WatchAsync(fixture.AppHost.App, coordinator);

        var (token, customerId) = await auth.NewCustomerAsync();
        var devices = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();
        object Batch(double value) => new { readings = devices.SelectMany(d => Enumerable.Range(0, 5).Select(i => new { timestamp = $"2025-04-01T00:{i * 5:00}:00Z", reading = value + i, deviceId = d })) };

        // Alerts: rules on two devices that the readings below raise, a webhook, and the history read back.
        await graphQL.DataAsync("mutation($d: UUID!) { createAlertRule(deviceId: $d, kind: ABOVE, minutes: 5, threshold: 1.5) { id } }", new { d = devices[0] }, token);
        var rule = await graphQL.DataAsync("mutation($d: UUID!) { createAlertRule(deviceId: $d, kind: RATE_OF_CHANGE, minutes: 10, threshold: 0.1) { id } }", new { d = devices[1] }, token);
        await graphQL.DataAsync("mutation($d: UUID!) { createAlertRule(deviceId: $d, kind: NO_DATA, minutes: 1) { id } }", new { d = devices[2] }, token);
        await graphQL.DataAsync("mutation { setAlertWebhook(url: \"http://127.0.0.1:9/hook\") { url } }", null, token);
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(1), token);      // new devices: claims, device rows, fresh readings
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(1), token);      // resent: the upsert, nothing changed
        await graphQL.DataAsync(GraphQLDocuments.Ingest, Batch(2), token);      // changed values
        var created = await graphQL.DataAsync(GraphQLDocuments.CreateDeviceToken, new { d = devices[0] }, token);
        var deviceToken = created.GetProperty("createDeviceToken").GetProperty("token").GetString()!;
        await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings = new[] { new { timestamp = "2025-04-01T01:00:00Z", reading = 3.0, deviceId = devices[0] } } }, deviceToken);
        await Rollups.WaitUntilFoldedAsync(coordinator, customerId);
        await graphQL.DataAsync(GraphQLDocuments.Aggregates, new { from = "2025-04-01T00:00:00Z", to = "2025-04-02T00:00:00Z", size = 60 }, token);
        await graphQL.DataAsync(GraphQLDocuments.Aggregates, new { from = "2025-04-01T00:00:00Z", to = "2025-04-01T02:00:00Z", size = 5 }, token);
        await graphQL.DataAsync(GraphQLDocuments.Devices, null, token);
        await graphQL.DataAsync(GraphQLDocuments.DeviceTokens, new { d = devices[0] }, token);

        // Keys: a message of new keys (their series added to the catalog), names and tags, every read over keys and
        // groups, a page and an export of a key.
        await graphQL.DataAsync("mutation($m: [MessageInput!]!) { ingestMessages(messages: $m) { inserted } }", new
        {
            m = devices.Select((d, i) => new { deviceId = d, timestamp = "2025-04-01T00:30:00Z", values = new[] { new { key = "temperature", value = 20.0 + i }, new { key = "humidity", value = 40.0 } } }).ToArray(),
        }, token);
        await graphQL.DataAsync("mutation($d: UUID!) { setDeviceAttributes(deviceId: $d, name: \"boiler\", tags: [{name: \"site\", value: \"berlin\"}]) { id } }", new { d = devices[0] }, token);
        await Rollups.WaitUntilFoldedAsync(coordinator, customerId);
        await graphQL.DataAsync("""
            { a: deviceAggregates(keys: ["temperature"], tags: [{name: "site", value: "berlin"}], from: "2025-04-01T00:00:00Z", to: "2025-04-02T00:00:00Z", aggregationSizeMinutes: 60) { key aggregatedValues { mean } }
              g: groupAggregates(key: "temperature", groupBy: "site", from: "2025-04-01T00:00:00Z", to: "2025-04-02T00:00:00Z", aggregationSizeMinutes: 60) { group aggregatedValues { mean p: percentile(p: 0.5) } }
              h: groupAggregates(key: "temperature", groupBy: "site", from: "2025-04-01T00:00:00Z", to: "2025-04-02T00:00:00Z", aggregationSizeMinutes: 60) { group aggregatedValues { mean max } }
              l: latest(keys: ["temperature", "humidity"]) { key value } }
            """, null, token);
        await graphQL.DataAsync("""
            { d: devices(tags: [{name: "site", value: "berlin"}]) { name keys }
              r: readings(keys: ["humidity"], first: 10) { edges { node { key } } } }
            """, null, token);
        using (var export = new HttpRequestMessage(HttpMethod.Get, "/api/export?keys=temperature&tag=site=berlin"))
        {
            export.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var exported = await graphQL.Http.SendAsync(export);
            Assert.True(exported.IsSuccessStatusCode, await exported.Content.ReadAsStringAsync());
        }

        for (var wait = 0; wait < 100 && (await graphQL.DataAsync("{ alerts { id } }", null, token)).GetProperty("alerts").GetArrayLength() < 2; wait++)
        {
            await Task.Delay(200);
        }

        var alerts = await graphQL.DataAsync("{ alerts { ruleId state } alertRules { id state } alertDeliveries { status attempts } }", null, token);
        Assert.True(alerts.GetProperty("alerts").GetArrayLength() >= 2, $"the rules raised nothing on Citus: {alerts}");
        await graphQL.DataAsync("mutation($id: UUID!) { muteAlertRule(id: $id) { muted } }", new { id = rule.GetProperty("createAlertRule").GetProperty("id").GetGuid() }, token);
        await graphQL.DataAsync("mutation($id: UUID!) { deleteAlertRule(id: $id) }", new { id = rule.GetProperty("createAlertRule").GetProperty("id").GetGuid() }, token);
        await graphQL.DataAsync("mutation { deleteAlertWebhook }", null, token);

        var multiShard = await log.StopAsync();
        var unmarked = multiShard.Where(s => !s.Contains(EveryCustomerMarker, StringComparison.Ordinal)).Distinct().ToList();
        Assert.True(unmarked.Count == 0, "Statements that ran on several shards without being marked as every customer's:\n"
            + string.Join("\n---\n", unmarked));

        // And the check itself sees such statements: the materializer's marked lists of customers ran meanwhile.
        Assert.Contains(multiShard, s => s.Contains(EveryCustomerMarker, StringComparison.Ordinal));
    }

    /// <summary>
    /// The coordinator's log between two lines this class writes into it (RAISE LOG), read from the AppHost's log of
    /// the resource: the statements logged under <see cref="MultiShardLine"/>.
    /// </summary>
    private sealed class CoordinatorLog : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> lines = new();
        private readonly CancellationTokenSource stop = new();
        private readonly NpgsqlDataSource coordinator;
        private readonly string window = Guid.NewGuid().ToString("N");
        private Task? reading;

        private CoordinatorLog(NpgsqlDataSource coordinator) => this.coordinator = coordinator;

        private string BeginLine => $"routing check {window} begins";
        private string EndLine => $"routing check {window} ends";

        public static async Task<CoordinatorLog> WatchAsync(DistributedApplication app, NpgsqlDataSource coordinator)
        {
            var log = new CoordinatorLog(coordinator);
            var server = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == ResourceNames.Postgres);
            var logs = app.Services.GetRequiredService<ResourceLoggerService>();
            log.reading = Task.Run(async () =>
            {
                await foreach (var batch in logs.WatchAsync(server).WithCancellation(log.stop.Token))
                {
                    foreach (var line in batch)
                    {
                        log.lines.Enqueue(line.Content);
                    }
                }
            });
            await log.MarkAsync(log.BeginLine);
            return log;
        }

        /// <summary>Writes the end line, waits for it, and answers the statements logged as multi-shard in between.</summary>
        public async Task<List<string>> StopAsync()
        {
            await MarkAsync(EndLine);
            var all = lines.ToList();
            var inWindow = all.Select(WithoutAppHostTime).SkipWhile(line => !line.Contains(BeginLine, StringComparison.Ordinal))
                .TakeWhile(line => !line.Contains(EndLine, StringComparison.Ordinal)).ToList();
            return MultiShardStatements(inWindow);
        }

        // A logged message is a line "<time> [<pid>] LEVEL:  text", then its own lines, each starting with a tab; the
        // statement follows its message from the same process, as "<time> [<pid>] STATEMENT:  text".
        private static List<string> MultiShardStatements(List<string> log)
        {
            var statements = new List<string>();
            var multiShardPids = new HashSet<string>();
            StringBuilder? statement = null;
            foreach (var line in log)
            {
                if (statement is not null && line.StartsWith('\t'))
                {
                    statement.Append('\n').Append(line[1..]);
                    continue;
                }

                if (statement is not null)
                {
                    statements.Add(statement.ToString());
                    statement = null;
                }

                var pid = Pid(line);
                if (line.Contains(MultiShardLine, StringComparison.Ordinal))
                {
                    multiShardPids.Add(pid);
                }
                else if (line.IndexOf("] STATEMENT:  ", StringComparison.Ordinal) is var at and >= 0 && multiShardPids.Remove(pid))
                {
                    statement = new StringBuilder(line[(at + "] STATEMENT:  ".Length)..]);
                }
            }

            if (statement is not null)
            {
                statements.Add(statement.ToString());
            }

            return statements;
        }

        // The AppHost puts its own time before each line it read: "2026-12-04T21:09:39.3010000Z ".
        private static string WithoutAppHostTime(string line) =>
            line.IndexOf(' ', StringComparison.Ordinal) is var space and > 0 && DateTimeOffset.TryParse(line.AsSpan(0, space), CultureInfo.InvariantCulture, out _)
                ? line[(space + 1)..] : line;

        private static string Pid(string line) =>
            line.IndexOf(" [", StringComparison.Ordinal) is var open and >= 0 && line.IndexOf(']', open) is var close and > 0 ? line[(open + 2)..close] : "";

        private async Task MarkAsync(string text)
        {
            await Sql.ExecuteAsync(coordinator, $"DO $$ BEGIN RAISE LOG '{text}'; END $$");
            var giveUpAt = DateTime.UtcNow.AddSeconds(30);
            while (!lines.Any(line => line.Contains(text, StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < giveUpAt, $"The coordinator's log never showed '{text}'.");
                await Task.Delay(50);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            try
            {
                await reading!;
            }
            catch (OperationCanceledException)
            {
                // stopped on purpose
            }

            stop.Dispose();
        }
    }
}
