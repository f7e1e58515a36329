using System.Globalization;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// "A device's readings of a key were committed": what the ingest transaction tells every API replica through
/// PostgreSQL's <c>NOTIFY</c> on <see cref="Channel"/>, one per (customer, series) of a batch. PostgreSQL
/// delivers it only if and when the transaction commits, to every session listening on any replica. It
/// carries where to find the readings, not the readings (a payload may hold 8 000 bytes, a batch 1 000
/// readings): those of <see cref="Key"/> of <see cref="DeviceId"/> stored or changed between <see cref="FirstAt"/> and
/// <see cref="LastAt"/> in the transaction that started at <see cref="IngestedAt"/> (their <c>ingested_at</c>).
/// </summary>
public sealed record ReadingsNotification(Guid CustomerId, Guid DeviceId, string Key, DateTimeOffset FirstAt, DateTimeOffset LastAt, DateTimeOffset IngestedAt)
{
    /// <summary>The series the readings are stored under.</summary>
    public Guid SeriesId => SeriesIds.Of(DeviceId, Key);

    public const string Channel = "readings_ingested";

    /// <summary>Stands for "every customer" in <c>live_subscribers</c>: an administrator's subscription.</summary>
    public static readonly Guid EveryCustomer = Guid.Empty;

    /// <summary>
    /// Which customers some API replica has live subscribers for (<c>live_subscribers</c>; <see cref="EveryCustomer"/>
    /// for an administrator's): ingest reads it at the start of its transaction and notifies only for those. A NOTIFY
    /// takes a database-wide lock at commit, which ingest without any subscriber should not pay.
    /// <para>
    /// Read before the readings are written, in its own statement: on Citus a transaction that has written to a worker
    /// reads a reference table such as this one on any worker, even one that is down and holds none of its customer's
    /// data; before that, it reads the coordinator's copy.
    /// </para>
    /// </summary>
    public const string ListenedSql = "SELECT coalesce(array_agg(customer_id), '{}') FROM live_subscribers WHERE expires_at > now()";

    /// <summary>
    /// The ingest statement's last CTE, <c>notified</c> (over <c>per_series</c>: per customer and series, the first and
    /// last time of the rows it inserted or changed, named by <c>@notify_series</c>, <c>@notify_devices</c> and
    /// <c>@notify_keys</c>, which ingest sends only when someone listens), for the customers in <c>@listened</c>
    /// (<see cref="ListenedSql"/>).
    /// The cardinality test is a one-time filter: with no live subscriber at all, no device of the batch is looked at.
    /// <c>pg_notify</c> reads only CTE results and parameters, so on Citus it runs on the coordinator, where the API's
    /// replicas listen; its void result is cast to text because Citus keeps CTE results as rows.
    /// </summary>
    public const string NotifySql = $"""
        notified AS (
            SELECT pg_notify('{Channel}', concat_ws(' ', batch.customer_id, named.device_id,
                       (extract(epoch FROM batch.first_at) * 1000000)::bigint, (extract(epoch FROM batch.last_at) * 1000000)::bigint,
                       (extract(epoch FROM now()) * 1000000)::bigint, named.key))::text AS sent
            FROM per_series AS batch
            JOIN unnest(@notify_series::uuid[], @notify_devices::uuid[], @notify_keys::text[]) AS named(series_id, device_id, key) ON named.series_id = batch.series_id
            WHERE cardinality(@listened::uuid[]) > 0
              AND (batch.customer_id = ANY(@listened) OR '00000000-0000-0000-0000-000000000000' = ANY(@listened))
        """;

    /// <summary>The notification in a payload written by <see cref="NotifySql"/>, or null for anything else.</summary>
    public static ReadingsNotification? Parse(string payload)
    {
        var parts = payload.Split(' ');
        return parts.Length == 6
            && Guid.TryParse(parts[0], out var customer) && Guid.TryParse(parts[1], out var device)
            && TryMicroseconds(parts[2], out var first) && TryMicroseconds(parts[3], out var last) && TryMicroseconds(parts[4], out var ingested)
            && first <= last && Readings.TelemetryKey.IsValid(parts[5])
                ? new ReadingsNotification(customer, device, parts[5], first, last, ingested)
                : null;
    }

    /// <summary>The payload <see cref="NotifySql"/> writes for this notification (for tests and tools).</summary>
    public string ToPayload() => string.Join(' ', CustomerId, DeviceId, Microseconds(FirstAt), Microseconds(LastAt), Microseconds(IngestedAt), Key);

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
