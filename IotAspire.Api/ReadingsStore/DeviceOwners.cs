using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// The <c>devices</c> table as the register of who owns a device: a device nobody has belongs to the first
/// customer that claims it, by sending a reading or by getting a device token for it. Ingestion and device
/// tokens claim and lock devices here, in one round trip.
/// </summary>
public static class DeviceOwners
{
    /// <summary>The customer a device is claimed by (<c>$1</c>), if any.</summary>
    public const string OwnerSql = "SELECT customer_id FROM device_claims WHERE device_id = $1";

    // The devices nobody has claimed become the first customer's that names them: a claim (device_claims, which keeps
    // one owner per device), then the device's row (devices, keyed by customer). Claims are written in device order, in
    // one statement for every customer of the batch: concurrent batches claiming the same new devices then wait for
    // each other in one order instead of deadlocking (an insert waits on another's uncommitted claim of the same key).
    private const string ClaimDevices = """
        INSERT INTO device_claims (device_id, customer_id, claimed_at)
        SELECT DISTINCT ON (batch.device_id) batch.device_id, batch.customer_id, now()
        FROM unnest(@device_ids, @customer_ids) WITH ORDINALITY AS batch(device_id, customer_id, position)
        ORDER BY batch.device_id, batch.position
        ON CONFLICT (device_id) DO NOTHING
        """;

    // Each customer's rows of the devices it claimed (a device's name and tags are its customer's; its readings' counts
    // are its series'). One customer per statement: on Citus it is then routed whole to that customer's worker. In
    // device order, as the claims.
    private const string AddDeviceRows = """
        INSERT INTO devices (id, customer_id, first_seen_at)
        SELECT c.device_id, c.customer_id, now()
        FROM device_claims c
        WHERE c.customer_id = @customer_id AND c.device_id = ANY(@device_ids)
        ORDER BY c.device_id
        ON CONFLICT (customer_id, id) DO NOTHING
        """;

    // The owners, with from when each owner's retention keeps readings (RetentionBoundaries): two reference tables on
    // Citus, read where the statement runs. A device another transaction was claiming at the same moment is seen
    // here: the claim above waited for it. {0}: the row lock, or none.
    private static string ReadOwners(string locking) => $"""
        SELECT d.device_id, d.customer_id, {RetentionBoundaries.ReadingsKeptFrom}
        FROM device_claims d LEFT JOIN customer_retention r ON r.customer_id = d.customer_id
        WHERE d.device_id = ANY(@device_ids) ORDER BY d.device_id {locking}
        """;

    // Locked until the transaction ends: transactions that share devices queue here, in one order, and no
    // owner changes under them.
    public static readonly string LockOwners = ReadOwners(locking: "FOR NO KEY UPDATE OF d");

    // Ingest reads its owners without locking them: a lock writes every device row of the batch (in arrival
    // order, a thousand rows a batch, as many writes as the readings themselves). Without it, a device moved to
    // another customer while a batch is in flight gets that batch's readings under the customer that owned it
    // when the batch was checked, as if the batch had committed just before the move. Retention, the other
    // reason the lock was taken, waits out in-flight batches through the ingest barrier instead (IngestBarrier).
    public static readonly string PlainOwners = ReadOwners(locking: "");

    /// <summary>
    /// Claims the devices nobody owns for the customer named beside each (when <paramref name="claim"/>), then
    /// locks every device's row for the transaction and answers its owner; a device absent from the answer is
    /// not registered. The statements are prepared once per connection.
    /// </summary>
    public static Task<Dictionary<Guid, DeviceOwner>> ClaimAndLockAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid[] deviceIds, Guid[] customerIds, bool claim, CancellationToken ct) =>
        ClaimAndReadAsync(connection, transaction, deviceIds, customerIds, claim, LockOwners, ingest: false, ct);

    /// <summary>
    /// What ingest does first: enters the ingest barrier (<see cref="IngestBarrier"/>), reads every device's owner
    /// without locking it and which customers have live subscribers (into <paramref name="listened"/>,
    /// <see cref="ReadingsNotification.ListenedSql"/>), in one round trip. Only when a device is new to the table (and <paramref name="claim"/>)
    /// a second round trip claims the new ones and reads the owners again: a fleet's known devices cost one
    /// index probe each per batch, not three.
    /// </summary>
    public static async Task<Dictionary<Guid, DeviceOwner>> EnterAndReadForIngestAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid[] deviceIds, Guid[] customerIds, bool claim, List<Guid> listened, CancellationToken ct)
    {
        var owners = await ReadAsync(connection, transaction, deviceIds, customerIds, enter: true, claim: false, PlainOwners, ct, listened: listened);
        if (!claim || owners.Count == deviceIds.Distinct().Count())
        {
            return owners;
        }

        // Only the devices nobody owned a moment ago are claimed.
        var unknown = deviceIds.Index().Where(device => !owners.ContainsKey(device.Item)).Select(device => device.Index).ToArray();
        return await ReadAsync(connection, transaction, deviceIds, customerIds, enter: false, claim: true, PlainOwners, ct,
            claimDeviceIds: [.. unknown.Select(i => deviceIds[i])], claimCustomerIds: [.. unknown.Select(i => customerIds[i])]);
    }

    private static Task<Dictionary<Guid, DeviceOwner>> ClaimAndReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid[] deviceIds, Guid[] customerIds, bool claim, string readOwners, bool ingest, CancellationToken ct) =>
        ReadAsync(connection, transaction, deviceIds, customerIds, enter: ingest, claim, readOwners, ct);

    private static async Task<Dictionary<Guid, DeviceOwner>> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid[] deviceIds, Guid[] customerIds, bool enter, bool claim, string readOwners, CancellationToken ct,
        Guid[]? claimDeviceIds = null, Guid[]? claimCustomerIds = null, List<Guid>? listened = null)
    {
        (claimDeviceIds, claimCustomerIds) = (claimDeviceIds ?? deviceIds, claimCustomerIds ?? customerIds);
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (enter)
        {
            // Its own statement, before the owners and cut-offs are read: their snapshot is then taken inside it.
            batch.BatchCommands.Add(new NpgsqlBatchCommand(IngestBarrier.EnterSql));
        }

        var skip = enter ? 1 : 0;
        if (claim)
        {
            // The first customer to name a device in the batch claims it; then each customer's device rows.
            var claimAll = new NpgsqlBatchCommand(ClaimDevices);
            claimAll.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = claimDeviceIds });
            claimAll.Parameters.Add(new("customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = claimCustomerIds });
            batch.BatchCommands.Add(claimAll);   // returns no rows, so no result to skip
            foreach (var customer in claimDeviceIds.Zip(claimCustomerIds).DistinctBy(pair => pair.First).GroupBy(pair => pair.Second).OrderBy(group => group.Key))
            {
                var addRows = new NpgsqlBatchCommand(AddDeviceRows);
                addRows.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = customer.Select(pair => pair.First).ToArray() });
                addRows.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customer.Key });
                batch.BatchCommands.Add(addRows);
            }
        }

        var readDevices = new NpgsqlBatchCommand(readOwners);
        readDevices.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = deviceIds });
        batch.BatchCommands.Add(readDevices);
        if (listened is not null)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(ReadingsNotification.ListenedSql));   // the last result
        }

        await batch.PrepareAsync(ct);

        var owners = new Dictionary<Guid, DeviceOwner>();
        await using var found = await batch.ExecuteReaderAsync(ct);
        // Past the barrier's row: the owners are the last result.
        for (; skip > 0; skip--)
        {
            await found.NextResultAsync(ct);
        }

        while (await found.ReadAsync(ct))
        {
            owners.Add(found.GetGuid(0), new DeviceOwner(found.GetGuid(1), found.IsDBNull(2) ? null : found.GetFieldValue<DateTimeOffset>(2)));
        }

        if (listened is not null && await found.NextResultAsync(ct) && await found.ReadAsync(ct))
        {
            listened.AddRange(found.GetFieldValue<Guid[]>(0));
        }

        return owners;
    }
}

/// <summary>A device's customer, and from when that customer's retention keeps readings (null: any time).</summary>
public sealed record DeviceOwner(Guid CustomerId, DateTimeOffset? ReadingsKeptFrom);
