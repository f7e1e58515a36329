using IotAspire.Api.ReadingsStore;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Alerts;

/// <summary>The webhooks' SQL: a customer's webhook, its delivery log, and the sender's claims and outcomes.</summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource, WebhookSecretProtection secrets)
{
    private const string DeliveryColumns = "d.id, d.customer_id, d.alert_id, d.url, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.delivered_at";

    public async Task<AlertWebhookSummary> SetAsync(Guid customerId, string url, string secret, string by, CancellationToken ct)
    {
        // Stored encrypted; the caller gets it once, in the clear, here.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO alert_webhooks AS w (customer_id, url, secret, updated_at, updated_by) VALUES ($1, $2, $3, now(), $4)
            ON CONFLICT (customer_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            RETURNING customer_id, url, NULL, updated_at, updated_by
            """);
        foreach (var value in new object[] { customerId, url, secrets.Protect(secret), by })
        {
            command.Parameters.Add(new() { Value = value });
        }

        return (await ReadAsync(command, withSecret: false, ct))! with { Secret = secret };
    }

    public async Task<AlertWebhookSummary?> GetAsync(Guid customerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT customer_id, url, NULL, updated_at, updated_by FROM alert_webhooks WHERE customer_id = $1");
        command.Parameters.Add(new() { Value = customerId });
        return await ReadAsync(command, withSecret: false, ct);
    }

    /// <summary>Encrypts the secrets an older version stored in the clear; how many. Idempotent, and safe beside another replica.</summary>
    public async Task<int> ProtectClearSecretsAsync(CancellationToken ct)
    {
        var clear = new List<(Guid Customer, string Secret)>();
        await using (var select = dataSource.CreateCommand(
            $"SELECT {CitusDistribution.EveryCustomerMarker} customer_id, secret FROM alert_webhooks WHERE secret NOT LIKE '{WebhookSecretProtection.Prefix}%'"))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                clear.Add((reader.GetGuid(0), reader.GetString(1)));
            }
        }

        var protectedCount = 0;
        foreach (var (customer, secret) in clear)
        {
            // Only if unchanged since it was read: a secret set meanwhile is already protected.
            await using var update = dataSource.CreateCommand("UPDATE alert_webhooks SET secret = $3 WHERE customer_id = $1 AND secret = $2");
            update.Parameters.Add(new() { Value = customer });
            update.Parameters.Add(new() { Value = secret });
            update.Parameters.Add(new() { Value = secrets.Protect(secret) });
            protectedCount += await update.ExecuteNonQueryAsync(ct);
        }

        return protectedCount;
    }

    /// <summary>Removes the webhook (the sender then marks its deliveries not sent yet FAILED). Whether there was one.</summary>
    public async Task<bool> DeleteAsync(Guid customerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM alert_webhooks WHERE customer_id = $1");
        command.Parameters.Add(new() { Value = customerId });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private static async Task<AlertWebhookSummary?> ReadAsync(NpgsqlCommand command, bool withSecret, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new AlertWebhookSummary(reader.GetGuid(0), reader.GetString(1), withSecret ? reader.GetString(2) : null, reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4))
            : null;
    }

    /// <summary>A customer's deliveries, newest first.</summary>
    public async Task<IReadOnlyList<AlertDeliverySummary>> DeliveriesAsync(Guid customerId, int last, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {DeliveryColumns} FROM alert_deliveries d WHERE d.customer_id = $1 ORDER BY d.id DESC LIMIT $2");
        command.Parameters.Add(new() { Value = customerId });
        command.Parameters.Add(new() { Value = last });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var deliveries = new List<AlertDeliverySummary>();
        while (await reader.ReadAsync(ct))
        {
            deliveries.Add(new AlertDeliverySummary(reader.GetInt64(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5),
                reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10)));
        }

        return deliveries;
    }

    /// <summary>Deliveries due, across customers (the sender's look for work; each is then claimed on its own).</summary>
    public async Task<IReadOnlyList<(Guid CustomerId, long Id)>> DueAsync(int max, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {CitusDistribution.EveryCustomerMarker} customer_id, id FROM alert_deliveries WHERE status = 'PENDING' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1");
        command.Parameters.Add(new() { Value = max });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var due = new List<(Guid, long)>();
        while (await reader.ReadAsync(ct))
        {
            due.Add((reader.GetGuid(0), reader.GetInt64(1)));
        }

        return due;
    }

    public sealed record Claimed(string Url, int Attempt, string? Secret, AlertRecord Alert);

    /// <summary>
    /// Claims a due delivery for one attempt: counts the attempt and moves its next time past <paramref name="lease"/>,
    /// so no other replica sends it meanwhile (and a replica that dies mid-send leaves it to be retried). Null when taken.
    /// </summary>
    public async Task<Claimed?> ClaimAsync(Guid customerId, long id, TimeSpan lease, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH claimed AS (
                UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = now() + @lease
                WHERE customer_id = @customer_id AND id = @id AND status = 'PENDING' AND next_attempt_at <= now()
                RETURNING customer_id, alert_id, url, attempts)
            SELECT c.url, c.attempts, w.secret, {AlertStore.EventColumns}
            FROM claimed c
            JOIN {PendingAlerts.EventsTable} e ON e.customer_id = @customer_id AND e.id = c.alert_id
            LEFT JOIN alert_webhooks w ON w.customer_id = @customer_id
            """);
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        command.Parameters.Add(new("id", NpgsqlDbType.Bigint) { Value = id });
        command.Parameters.Add(new("lease", NpgsqlDbType.Interval) { Value = lease });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new Claimed(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : secrets.Unprotect(reader.GetString(2)), AlertStore.ReadEvent(reader, at: 3));
    }

    /// <summary>An attempt's outcome: DELIVERED, or PENDING again at <paramref name="retryIn"/>, or FAILED when null.</summary>
    public async Task FinishAsync(Guid customerId, long id, bool delivered, int? statusCode, string? error, TimeSpan? retryIn, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE alert_deliveries SET
                status = CASE WHEN @delivered THEN 'DELIVERED' WHEN @retry_in::interval IS NULL THEN 'FAILED' ELSE 'PENDING' END,
                delivered_at = CASE WHEN @delivered THEN now() END,
                next_attempt_at = CASE WHEN @retry_in::interval IS NULL THEN next_attempt_at ELSE now() + @retry_in END,
                last_status_code = @status_code, last_error = @error
            WHERE customer_id = @customer_id AND id = @id
            """);
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customerId });
        command.Parameters.Add(new("id", NpgsqlDbType.Bigint) { Value = id });
        command.Parameters.Add(new("delivered", NpgsqlDbType.Boolean) { Value = delivered });
        command.Parameters.Add(new("status_code", NpgsqlDbType.Integer) { Value = statusCode is { } code ? code : DBNull.Value });
        command.Parameters.Add(new("error", NpgsqlDbType.Text) { Value = error is { } e ? e : DBNull.Value });
        command.Parameters.Add(new("retry_in", NpgsqlDbType.Interval) { Value = retryIn is { } r ? r : DBNull.Value });
        await command.ExecuteNonQueryAsync(ct);
    }
}
