using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Scaling;

/// <summary>The system on a Citus cluster: the data really is distributed, and a customer's queries go to one worker.</summary>
[Collection(CitusAppHostCollection.Name)]
public sealed class CitusClusterTests(CitusAppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Customers_readings_live_on_their_workers_shards_and_a_customers_queries_are_router_queries()
    {
        await using var coordinator = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        Assert.Equal(CitusAppHostFixture.Workers, (await Sql.ListAsync(coordinator, "SELECT count(*) FROM pg_dist_node WHERE groupid <> 0", r => r.GetInt64(0)))[0]);

        // A customer per worker, picked through Citus's own hash of the distribution column.
        var perWorker = await CitusCluster.CustomerPerWorkerAsync(fixture.AppHost, coordinator);
        foreach (var placement in perWorker)
        {
            var device = Guid.NewGuid();
            var token = (await auth.TokensAsync(await auth.CreateCustomerAsync(placement.Customer, TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword)).Access;
            var readings = Enumerable.Range(0, 20).Select(i => new { timestamp = $"2025-03-01T10:{i:00}:00", reading = i * 0.5, deviceId = device });
            var stored = await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings }, token);
            Assert.Equal(20, stored.GetProperty("ingestReadings").GetProperty("inserted").GetInt32());
        }

        // Each worker's shard of readings holds its customer's 20 readings (read on the worker itself, not through the
        // coordinator), and the other customer's shard is not on it.
        foreach (var placement in perWorker)
        {
            var server = new NpgsqlConnectionStringBuilder(await fixture.AppHost.ConnectionStringAsync(placement.WorkerResource)) { Database = ResourceNames.ReadingsDatabase, Pooling = false };
            await using var worker = NpgsqlDataSource.Create(server.ConnectionString);
            Assert.Equal(20, (await Sql.ListAsync(worker, $"SELECT count(*) FROM readings_{placement.ReadingsShard} WHERE customer_id = $1", r => r.GetInt64(0), placement.Customer))[0]);
            var otherShard = perWorker.Single(other => other != placement).ReadingsShard;
            Assert.Equal(0, (await Sql.ListAsync(worker, "SELECT count(*) FROM pg_class WHERE relname = $1", r => r.GetInt64(0), $"readings_{otherShard}"))[0]);
        }

        // The shapes of the API's per-customer statements are router queries: one task, on the customer's worker.
        var (firstPort, firstCustomer) = (perWorker[0].Port, perWorker[0].Customer);
        foreach (var query in new[]
        {
            "SELECT date_bin(INTERVAL '5 minutes', recorded_at, TIMESTAMPTZ '1970-01-01'), avg(reading) FROM readings WHERE customer_id = $1 AND recorded_at >= '2025-03-01' GROUP BY 1",
            $"SELECT s.id, s.reading_count + coalesce(p.added, 0) FROM series s LEFT JOIN ({Api.ReadingsStore.PendingRollups.CountsQuery("$1")}) p ON p.series_id = s.id WHERE s.customer_id = $1",
            "SELECT lower(span), upper(span) FROM rollup_pending_spans WHERE customer_id = $1",
            "SELECT sum(reading_count) FROM readings_hourly WHERE customer_id = $1 AND bucket_start >= '2025-03-01'",
        })
        {
            var plan = string.Join('\n', await Sql.ListAsync(coordinator, "EXPLAIN (COSTS OFF) " + query, r => r.GetString(0), firstCustomer));
            Assert.True(plan.Contains("Task Count: 1", StringComparison.Ordinal) && plan.Contains($"port={firstPort}", StringComparison.Ordinal),
                $"Not a router query to the customer's worker (port {firstPort}): {query}\n{plan}");
        }
    }

    /// <summary>
    /// Two customers whose shards are the same are folded by one group's statements (the materializer groups a pass's
    /// customers by shard): each customer's five-minute buckets and series counts are its own readings' exactly, and the
    /// statements stayed on the one worker (the routing check, <c>CitusStatementRoutingTests</c>, sees every statement).
    /// </summary>
    [Fact]
    public async Task Customers_of_one_shard_are_folded_together_each_exactly()
    {
        await using var coordinator = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        var byShard = new Dictionary<long, Guid>();
        (Guid First, Guid Second)? pair = null;
        while (pair is null)
        {
            var candidate = Guid.NewGuid();
            var shard = (await Sql.ListAsync(coordinator, "SELECT get_shard_id_for_distribution_column('rollup_pending', $1)", r => r.GetInt64(0), candidate))[0];
            pair = byShard.TryGetValue(shard, out var first) ? (first, candidate) : null;
            byShard.TryAdd(shard, candidate);
        }

        Guid[] customers = [pair.Value.First, pair.Value.Second];
        var tokens = new List<string>();
        foreach (var customer in customers)
        {
            tokens.Add((await auth.TokensAsync(await auth.CreateCustomerAsync(customer, TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword)).Access);
        }

        await using (await Rollups.HoldMaterializerAsync(coordinator))
        {
            for (var c = 0; c < customers.Length; c++)
            {
                var device = Guid.NewGuid();
                for (var batch = 0; batch < 3; batch++)
                {
                    var readings = Enumerable.Range(0, 10).Select(i => new { timestamp = $"2025-03-01T10:{(batch * 10) + i:00}:30", reading = (c * 100) + (batch * 10) + i + 0.25, deviceId = device });
                    await graphQL.DataAsync(GraphQLDocuments.Ingest, new { readings }, tokens[c]);
                }
            }

            foreach (var customer in customers)
            {
                Assert.True(await Rollups.PendingRowsAsync(coordinator, customer) > 0, "A customer left nothing pending: the pass would not hold it.");
            }
        }

        foreach (var customer in customers)
        {
            await Rollups.WaitUntilFoldedAsync(coordinator, customer);
            var expected = await Sql.ListAsync(coordinator, """
                SELECT series_id, date_bin(INTERVAL '5 minutes', recorded_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'), count(*), sum(reading)
                FROM readings WHERE customer_id = $1 GROUP BY 1, 2 ORDER BY 1, 2
                """, Sql.Values, customer);
            var rollup = await Sql.ListAsync(coordinator,
                "SELECT series_id, bucket_start, reading_count, reading_sum FROM readings_five_minute WHERE customer_id = $1 ORDER BY 1, 2",
                Sql.Values, customer);
            Assert.Equal(6, expected.Count);
            Assert.Equal(expected.Select(r => string.Join(' ', r)), rollup.Select(r => string.Join(' ', r)));
            Assert.Equal([30L], await Sql.ListAsync(coordinator, "SELECT reading_count FROM series WHERE customer_id = $1", r => r.GetInt64(0), customer));
        }
    }
}

// The end-to-end classes that touch readings, devices, aggregates, subscriptions and retention, run again on Citus.
[Collection(CitusAppHostCollection.Name)]
public sealed class CitusSubscriptionTests(CitusAppHostFixture fixture) : LiveUpdates.SubscriptionTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusMaterializerExactnessTests(CitusAppHostFixture fixture) : Readings.MaterializerExactnessTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusDeviceStatsTests(CitusAppHostFixture fixture) : Readings.DeviceStatsTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusDeviceProvisioningTests(CitusAppHostFixture fixture) : Readings.DeviceProvisioningTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusDeviceTokenTests(CitusAppHostFixture fixture) : Readings.DeviceTokenTests(fixture);

// MQTT and the HTTP device API with two API replicas behind the listener's port (the fixture's Api:Replicas).
[Collection(CitusAppHostCollection.Name)]
public sealed class CitusMqttTelemetryTests(CitusAppHostFixture fixture) : DeviceProtocols.MqttTelemetryTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusTenantIsolationTests(CitusAppHostFixture fixture) : Isolation.TenantIsolationTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusGraphQLWorkflowTests(CitusAppHostFixture fixture) : Readings.GraphQLWorkflowTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusRetentionTests(CitusAppHostFixture fixture) : Retention.RetentionTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusBucketFunctionsTests(CitusAppHostFixture fixture) : Readings.BucketFunctionsTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusGapFillTests(CitusAppHostFixture fixture) : Readings.GapFillTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusOriginalRestApiTests(CitusAppHostFixture fixture) : Readings.OriginalRestApiTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusRollupExactnessTests(CitusAppHostFixture fixture) : Readings.RollupExactnessTests(fixture);

[Collection(CitusAppHostCollection.Name)]
public sealed class CitusReadingsStorageTests(CitusAppHostFixture fixture) : Readings.ReadingsStorageTests(fixture);
