using System.Globalization;

namespace IotAspire.Api.Data;

/// <summary>
/// "A device's readings were committed": what the ingest transaction tells every API replica through
/// PostgreSQL's <c>NOTIFY</c> on <see cref="Channel"/>, one per (customer, device) of a batch. PostgreSQL
/// delivers it only if and when the transaction commits, to every session listening on any replica. It
/// carries where to find the readings, not the readings (a payload may hold 8 000 bytes, a batch 1 000
/// readings): those <see cref="DeviceId"/> stored or changed between <see cref="FirstAt"/> and
/// <see cref="LastAt"/> in the transaction that started at <see cref="IngestedAt"/> (their <c>ingested_at</c>).
/// </summary>
public sealed record ReadingsNotification(Guid CustomerId, Guid DeviceId, DateTimeOffset FirstAt, DateTimeOffset LastAt, DateTimeOffset IngestedAt)
{
    public const string Channel = "readings_ingested";

    /// <summary>Stands for "every customer" in <c>live_subscribers</c>: an administrator's subscription.</summary>
    public static readonly Guid EveryCustomer = Guid.Empty;

    /// <summary>
    /// The ingest statement's last CTEs, <c>subscribed</c> and <c>notified</c> (over <c>per_device</c>: per customer
    /// and device, the first and last time of the rows it inserted or changed). Only for customers that some replica
    /// has live subscribers for (<c>live_subscribers</c>): a NOTIFY takes a database-wide lock at commit, which ingest
    /// without any subscriber should not pay. The uncorrelated EXISTS is a one-time filter: with no live subscriber
    /// at all, no device of the batch is looked at.
    /// <para>
    /// The subscribers are read in a CTE of their own, and <c>pg_notify</c> reads only CTE results: on Citus, a
    /// part of a statement that reads no table runs on the coordinator, where the API's replicas listen (one that
    /// read <c>live_subscribers</c>, a reference table, could run on a worker, and notify nobody). Its void result
    /// is cast to text because Citus keeps CTE results as rows.
    /// </para>
    /// </summary>
    public const string NotifySql = $"""
        subscribed AS (
            SELECT customer_id FROM live_subscribers WHERE expires_at > now()
        ), notified AS (
            SELECT pg_notify('{Channel}', concat_ws(' ', batch.customer_id, batch.device_id,
                       (extract(epoch FROM batch.first_at) * 1000000)::bigint, (extract(epoch FROM batch.last_at) * 1000000)::bigint,
                       (extract(epoch FROM now()) * 1000000)::bigint))::text AS sent
            FROM per_device AS batch
            WHERE EXISTS (SELECT FROM subscribed)
              AND EXISTS (SELECT FROM subscribed s WHERE s.customer_id IN (batch.customer_id, '00000000-0000-0000-0000-000000000000'))
        """;

    /// <summary>The notification in a payload written by <see cref="NotifySql"/>, or null for anything else.</summary>
    public static ReadingsNotification? Parse(string payload)
    {
        var parts = payload.Split(' ');
        return parts.Length == 5
            && Guid.TryParse(parts[0], out var customer) && Guid.TryParse(parts[1], out var device)
            && TryMicroseconds(parts[2], out var first) && TryMicroseconds(parts[3], out var last) && TryMicroseconds(parts[4], out var ingested)
            && first <= last
                ? new ReadingsNotification(customer, device, first, last, ingested)
                : null;
    }

    /// <summary>The payload <see cref="NotifySql"/> writes for this notification (for tests and tools).</summary>
    public string ToPayload() => string.Join(' ', CustomerId, DeviceId, Microseconds(FirstAt), Microseconds(LastAt), Microseconds(IngestedAt));

    private static long Microseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    private static bool TryMicroseconds(string text, out DateTimeOffset time)
    {
        time = default;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var microseconds)
            || microseconds is < -62_135_596_800_000_000 or > 253_402_300_799_999_999)
        {
            return false;
        }

        time = DateTimeOffset.UnixEpoch.AddTicks(microseconds * TimeSpan.TicksPerMicrosecond);
        return true;
    }
}
