namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// How the readings database's tables are laid out on a Citus cluster (docs/scaling.md); on a single
/// PostgreSQL server the same statement does nothing. Tenant data is distributed by <c>customer_id</c> and
/// co-located with <c>readings</c>, so that every statement scoped to one customer is routed, whole, to the one
/// worker holding that customer's shards (a "router" query): its joins, CTEs and upserts run there as on one
/// server. Small tables that any customer's statement must read whatever its customer are reference tables,
/// copied to every node and read where the statement runs.
/// <para>
/// Every primary key and unique constraint of a distributed table leads with <c>customer_id</c>, which is what
/// Citus requires; <c>SchemaLayoutTests</c> fails when a table is added without a place here.
/// </para>
/// </summary>
public static class CitusDistribution
{
    public const string DistributionColumn = "customer_id";

    /// <summary>
    /// Written inside every statement meant to read or write every customer's shards (administrators' reads across
    /// customers, the jobs' lists of customers, batches that name several customers): on Citus these run on every
    /// worker. Every other statement on a distributed table names one customer; <c>CitusStatementRoutingTests</c>
    /// finds any that does not and is not marked, in the statements the coordinator logs as multi-shard (docs/scaling.md,
    /// "The check"). Inside the statement, after its first word, where the logged text and <c>citus_stat_statements</c> keep it.
    /// </summary>
    public const string EveryCustomerMarker = "/* every customer */";

    /// <summary>
    /// Options of every API connection to the readings database (on a server without Citus, a placeholder setting
    /// nobody reads). Sequential: a batch that names many customers writes to many shards of each worker in one
    /// transaction. In Citus's default parallel mode each shard gets a connection of its own, opened for the
    /// transaction and closed after it (one per worker is kept), and every one takes part in the two-phase commit.
    /// One connection per worker instead: a transaction inserting an arrival-order batch (1 000 devices of 100
    /// customers) ran 2 times a second in parallel mode and 36 in sequential (pgbench on the coordinator, 2 workers,
    /// docs/scaling.md). The API runs no large multi-shard write that parallel mode would speed up.
    /// </summary>
    public const string ConnectionOptions = "-c citus.multi_shard_modify_mode=sequential";

    /// <summary>Whether the database has Citus (the API picks its ingest path by it, ReadingsWriter).</summary>
    public const string IsCitusSql = "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')";

    /// <summary>Whether the database has Citus (<see cref="IsCitusSql"/>): the writer picks its ingest path by it.</summary>
    public static async Task<bool> IsCitusAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var command = new Npgsql.NpgsqlCommand(IsCitusSql, connection, transaction);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Distributed by customer, co-located with <c>readings</c> (the first).</summary>
    public static readonly string[] DistributedTables =
    [
        "readings", .. ReadingRollups.All.Select(grain => grain.Table), "ingested_per_minute",
        PendingRollups.Table, "devices", Series.Table, "retention_runs",
        PendingAlerts.RulesTable, PendingAlerts.EventsTable, PendingAlerts.Table, "alert_webhooks", "alert_deliveries",
    ];

    /// <summary>
    /// Copied to every node. <c>device_claims</c>: a device's one owner, looked up by device on every batch.
    /// <c>device_tokens</c>: a token is looked up by its id before anyone knows its customer. <c>customer_retention</c>:
    /// every batch reads its customers' cut-offs. <c>live_subscribers</c>: every batch asks whether anyone listens.
    /// All are a row per device, token or customer (or replica), written rarely, read on the hot path.
    /// </summary>
    public static readonly string[] ReferenceTables = ["device_claims", "device_tokens", "customer_retention", "live_subscribers"];

    // A migration that adds a table distributes it with the DO block of the last migration that did
    // (20261205004513_Alerts), the new table added to its list: a migration holds the text it runs, never these lists.

    /// <summary>Tables that stay on the coordinator alone.</summary>
    public static readonly string[] CoordinatorTables = ["__EFMigrationsHistory"];
}
