using System.Text.Json;
using IotAspire.Api.ReadingsStore;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Alerts;

/// <summary>
/// The alerts' SQL, all of it: rules, the recorded changes, webhooks and their deliveries. Every statement names
/// the customer (one shard on Citus) except those marked for every customer (an administrator's list, the
/// evaluator's and sender's look for work).
/// </summary>
public sealed class AlertStore(NpgsqlDataSource dataSource)
{
    /// <summary>The channel every replica listens on for recorded changes (payload: an <see cref="AlertRecord"/> as JSON).</summary>
    public const string Channel = "alert_changed";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // A rule with its current state: the change with the latest reading time.
    private const string RuleColumns = """
        r.id, r.customer_id, r.device_id, r.key, r.name, r.kind, r.threshold, r.minutes, r.muted, s.state, s.at, r.created_at, r.created_by
        """;

    // customer: what the state is looked up under: @customer_id for one customer's rules (so that on Citus the lateral
    // read is routed with the rest: joined only by r.customer_id, it ran on every shard, as the routing check found),
    // r.customer_id for every customer's.
    private static string StateJoin(string customer) => $"""
        LEFT JOIN LATERAL (SELECT state, at FROM {PendingAlerts.EventsTable} e
                           WHERE e.customer_id = {customer} AND e.rule_id = r.id ORDER BY at DESC, id DESC LIMIT 1) s ON true
        """;

    public async Task<int> CountRulesAsync(Guid customerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*)::int FROM {PendingAlerts.RulesTable} WHERE customer_id = $1");
        command.Parameters.Add(new() { Value = customerId });
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The customer a device is claimed by, if any.</summary>
    public async Task<Guid?> DeviceOwnerAsync(Guid deviceId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(DeviceOwners.OwnerSql);
        command.Parameters.Add(new() { Value = deviceId });
        return await command.ExecuteScalarAsync(ct) as Guid?;
    }

    public async Task<AlertRuleSummary> CreateRuleAsync(
        Guid customerId, Guid deviceId, string key, string name, AlertRuleKind kind, double? threshold, int minutes, string createdBy, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO {PendingAlerts.RulesTable} AS r (customer_id, id, device_id, key, series_id, name, kind, threshold, minutes, muted, created_at, created_by)
            VALUES (@customer_id, @id, @device_id, @key, @series_id, @name, @kind, @threshold, @minutes, false, now(), @created_by)
            RETURNING {RuleColumns.Replace("s.state, s.at", "NULL::text, NULL::timestamptz", StringComparison.Ordinal)}
            """);
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        command.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId });
        command.Parameters.Add(new("key", NpgsqlDbType.Text) { Value = key });
        command.Parameters.Add(new("series_id", NpgsqlDbType.Uuid) { Value = SeriesIds.Of(deviceId, key) });
        command.Parameters.Add(new("name", NpgsqlDbType.Text) { Value = name });
        command.Parameters.Add(new("kind", NpgsqlDbType.Text) { Value = AlertRuleRules.Name(kind) });
        command.Parameters.Add(new("threshold", NpgsqlDbType.Double) { Value = threshold is { } t ? t : DBNull.Value });
        command.Parameters.Add(new("minutes", NpgsqlDbType.Integer) { Value = minutes });
        command.Parameters.Add(new("created_by", NpgsqlDbType.Text) { Value = createdBy });
        return (await ReadRulesAsync(command, ct))[0];
    }

    /// <param name="customerId">One customer's rules; null for every customer's (administrators).</param>
    /// <param name="deviceId">One device's rules; null for all.</param>
    /// <param name="ct">Cancels the query.</param>
    /// <param name="ruleId">Only this rule; null for all.</param>
    public async Task<IReadOnlyList<AlertRuleSummary>> ListRulesAsync(Guid? customerId, Guid? deviceId, CancellationToken ct, Guid? ruleId = null)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {(customerId is null ? CitusDistribution.EveryCustomerMarker : "")} {RuleColumns}
            FROM {PendingAlerts.RulesTable} r {StateJoin(customerId is null ? "r.customer_id" : "@customer_id")}
            WHERE {(customerId is null ? "" : "r.customer_id = @customer_id AND ")}(@device_id::uuid IS NULL OR r.device_id = @device_id)
              AND (@id::uuid IS NULL OR r.id = @id)
            ORDER BY r.customer_id, r.created_at, r.id
            LIMIT {AlertRuleRules.MaxRulesPerCustomer}
            """);
        if (customerId is { } c)
        {
            command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = c });
        }

        command.Parameters.Add(new("device_id", NpgsqlDbType.Uuid) { Value = deviceId is { } d ? d : DBNull.Value });
        command.Parameters.Add(new("id", NpgsqlDbType.Uuid) { Value = ruleId is { } r ? r : DBNull.Value });
        return await ReadRulesAsync(command, ct);
    }

    /// <summary>Mutes or unmutes one of the customer's rules; null when it has no such rule.</summary>
    public async Task<AlertRuleSummary?> SetMutedAsync(Guid customerId, Guid ruleId, bool muted, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"UPDATE {PendingAlerts.RulesTable} SET muted = $3 WHERE customer_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = customerId });
        command.Parameters.Add(new() { Value = ruleId });
        command.Parameters.Add(new() { Value = muted });
        return await command.ExecuteNonQueryAsync(ct) == 1 ? (await ListRulesAsync(customerId, null, ct, ruleId)).Single() : null;
    }

    /// <summary>Deletes one of the customer's rules (its recorded changes stay in the history); whether there was one.</summary>
    public async Task<bool> DeleteRuleAsync(Guid customerId, Guid ruleId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"DELETE FROM {PendingAlerts.RulesTable} WHERE customer_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = customerId });
        command.Parameters.Add(new() { Value = ruleId });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private static async Task<IReadOnlyList<AlertRuleSummary>> ReadRulesAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rules = new List<AlertRuleSummary>();
        while (await reader.ReadAsync(ct))
        {
            rules.Add(new AlertRuleSummary(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(4), AlertRuleRules.Parse(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetDouble(6), reader.GetInt32(7), reader.GetBoolean(8),
                reader.IsDBNull(9) ? null : Change(reader.GetString(9)), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.GetFieldValue<DateTimeOffset>(11), reader.GetString(12)) { Key = reader.GetString(3) });
        }

        return rules;
    }

    /// <summary>The recorded changes, newest first (by reading time), filtered as <c>alerts</c> asks.</summary>
    public async Task<IReadOnlyList<AlertRecord>> HistoryAsync(
        Guid? customerId, AlertChange? state, IReadOnlyList<Guid>? deviceIds, DateTimeOffset from, DateTimeOffset to, int last, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {(customerId is null ? CitusDistribution.EveryCustomerMarker : "")} {EventColumns}
            FROM {PendingAlerts.EventsTable} e
            WHERE {(customerId is null ? "" : "e.customer_id = @customer_id AND ")}(@state::text IS NULL OR e.state = @state)
              AND (@device_ids::uuid[] IS NULL OR e.device_id = ANY(@device_ids)) AND e.at >= @from AND e.at < @to
            ORDER BY e.at DESC, e.id DESC
            LIMIT @last
            """);
        if (customerId is { } c)
        {
            command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = c });
        }

        command.Parameters.Add(new("state", NpgsqlDbType.Text) { Value = state is { } s ? Name(s) : DBNull.Value });
        command.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds is { } ids ? ids.ToArray() : DBNull.Value });
        command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = from.UtcDateTime });
        command.Parameters.Add(new("to", NpgsqlDbType.TimestampTz) { Value = to.UtcDateTime });
        command.Parameters.Add(new("last", NpgsqlDbType.Integer) { Value = last });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var records = new List<AlertRecord>();
        while (await reader.ReadAsync(ct))
        {
            records.Add(ReadEvent(reader));
        }

        return records;
    }

    internal const string EventColumns = "e.id, e.customer_id, e.rule_id, e.device_id, e.state, e.at, e.reading_at, e.reading, e.message, e.recorded_at";

    /// <summary>A change read from <see cref="EventColumns"/>, which start at column <paramref name="at"/>.</summary>
    internal static AlertRecord ReadEvent(NpgsqlDataReader reader, int at = 0) => new(
        reader.GetInt64(at), reader.GetGuid(at + 1), reader.GetGuid(at + 2), reader.GetGuid(at + 3), Change(reader.GetString(at + 4)),
        reader.GetFieldValue<DateTimeOffset>(at + 5), reader.IsDBNull(at + 6) ? null : reader.GetFieldValue<DateTimeOffset>(at + 6),
        reader.IsDBNull(at + 7) ? null : reader.GetDouble(at + 7), reader.GetString(at + 8), reader.GetFieldValue<DateTimeOffset>(at + 9));

    public static string Name(AlertChange change) => change == AlertChange.Raised ? "RAISED" : "CLEARED";

    private static AlertChange Change(string name) => name == "RAISED" ? AlertChange.Raised : AlertChange.Cleared;

    // ---- The evaluator's statements, run on its connection inside its pass (one transaction). ----

    /// <summary>Customers with readings to evaluate, the longest waiting first.</summary>
    public const string PendingCustomersSql = $"SELECT {CitusDistribution.EveryCustomerMarker} customer_id FROM {PendingAlerts.Table} GROUP BY customer_id ORDER BY min(id) LIMIT @max_customers";

    /// <summary>Takes a customer's pending series, merged per series.</summary>
    public const string TakePendingSql = $"""
        WITH taken AS (DELETE FROM {PendingAlerts.Table} WHERE customer_id = @customer_id RETURNING series_id, first_at, last_at)
        SELECT series_id, min(first_at), max(last_at) FROM taken GROUP BY series_id
        """;

    /// <summary>The threshold and rate rules watching those series.</summary>
    public const string RulesForSeriesSql = $"""
        SELECT id, series_id, name, kind, threshold, minutes, device_id FROM {PendingAlerts.RulesTable}
        WHERE customer_id = @customer_id AND series_id = ANY(@series_ids) AND kind <> 'NO_DATA' AND NOT muted
        """;

    /// <summary>Customers with NO_DATA rules to check.</summary>
    public const string NoDataCustomersSql = $"SELECT {CitusDistribution.EveryCustomerMarker} DISTINCT customer_id FROM {PendingAlerts.RulesTable} WHERE kind = 'NO_DATA' AND NOT muted";

    /// <summary>
    /// The customer's webhook URL, if it has one: read, then written into each delivery by VALUES (an INSERT ... SELECT
    /// from the webhook's row ran on every shard pair on Citus, as the routing check found).
    /// </summary>
    public const string WebhookUrlSql = "SELECT url FROM alert_webhooks WHERE customer_id = @customer_id";

    /// <summary>The customer's webhook URL, read in the evaluator's transaction (once per customer and pass).</summary>
    public static async Task<string?> WebhookUrlAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid customerId, CancellationToken ct)
    {
        await using var webhook = new NpgsqlCommand(WebhookUrlSql, connection, transaction);
        webhook.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        return await webhook.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>A change the evaluator found, to record.</summary>
    public sealed record Found(Guid RuleId, Guid DeviceId, AlertChange State, DateTimeOffset At, DateTimeOffset? ReadingAt, double? Reading, string Message);

    // Rows per multi-row statement: a few hundred parameters, one round trip.
    private const int RowsPerStatement = 100;

    public const string NotifySql = $"SELECT pg_notify('{Channel}', $1)";

    /// <summary>
    /// Records a customer's changes, each once (its key: rule, state, time; one recorded before is skipped), queues
    /// their deliveries to <paramref name="webhookUrl"/> (none when null) and notifies the listeners, in the caller's
    /// transaction: multi-row VALUES (routed to the customer's shard on Citus, where INSERT ... SELECT FROM unnest
    /// goes through the coordinator) and the notifications in one batch. Returns what it recorded.
    /// </summary>
    public static async Task<IReadOnlyList<AlertRecord>> RecordAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid customerId, string? webhookUrl, IReadOnlyList<Found> changes, CancellationToken ct)
    {
        var recorded = new List<AlertRecord>();
        foreach (var chunk in changes.Chunk(RowsPerStatement))
        {
            await using var record = new NpgsqlCommand(
                $"""
                INSERT INTO {PendingAlerts.EventsTable} AS e (customer_id, rule_id, device_id, state, at, reading_at, reading, message)
                VALUES {string.Join(", ", chunk.Select((_, i) => $"(@customer_id, @r{i}, @d{i}, @s{i}, @a{i}, @ra{i}, @v{i}, @m{i})"))}
                ON CONFLICT (customer_id, rule_id, state, at) DO NOTHING
                RETURNING {EventColumns}
                """, connection, transaction);
            record.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
            for (var i = 0; i < chunk.Length; i++)
            {
                var found = chunk[i];
                record.Parameters.Add(new($"r{i}", NpgsqlDbType.Uuid) { Value = found.RuleId });
                record.Parameters.Add(new($"d{i}", NpgsqlDbType.Uuid) { Value = found.DeviceId });
                record.Parameters.Add(new($"s{i}", NpgsqlDbType.Text) { Value = Name(found.State) });
                record.Parameters.Add(new($"a{i}", NpgsqlDbType.TimestampTz) { Value = found.At.UtcDateTime });
                record.Parameters.Add(new($"ra{i}", NpgsqlDbType.TimestampTz) { Value = found.ReadingAt is { } r ? r.UtcDateTime : DBNull.Value });
                record.Parameters.Add(new($"v{i}", NpgsqlDbType.Double) { Value = found.Reading is { } v ? v : DBNull.Value });
                record.Parameters.Add(new($"m{i}", NpgsqlDbType.Text) { Value = found.Message });
            }

            await using var reader = await record.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                recorded.Add(ReadEvent(reader));
            }
        }

        if (webhookUrl is { } url)
        {
            foreach (var chunk in recorded.Chunk(RowsPerStatement))
            {
                await using var enqueue = new NpgsqlCommand(
                    $"""
                    INSERT INTO alert_deliveries (customer_id, alert_id, url, status, attempts, next_attempt_at)
                    VALUES {string.Join(", ", chunk.Select((_, i) => $"(@customer_id, @a{i}, @url, 'PENDING', 0, now())"))}
                    """, connection, transaction);
                enqueue.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
                enqueue.Parameters.Add(new("url", NpgsqlDbType.Text) { Value = url });
                for (var i = 0; i < chunk.Length; i++)
                {
                    enqueue.Parameters.Add(new($"a{i}", NpgsqlDbType.Bigint) { Value = chunk[i].Id });
                }

                await enqueue.ExecuteNonQueryAsync(ct);
            }
        }

        // NOTIFY outside any table's statement: on Citus it runs on the coordinator, where the listeners are. One
        // notification per change (a payload stays far below PostgreSQL's 8 000 bytes), all in one round trip.
        if (recorded.Count > 0)
        {
            await using var notify = new NpgsqlBatch(connection, transaction);
            foreach (var alert in recorded)
            {
                notify.BatchCommands.Add(new NpgsqlBatchCommand(NotifySql) { Parameters = { new() { Value = JsonSerializer.Serialize(alert, Json) } } });
            }

            await notify.ExecuteNonQueryAsync(ct);
        }

        return recorded;
    }

    public static AlertRecord? ParseNotification(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<AlertRecord>(payload, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
