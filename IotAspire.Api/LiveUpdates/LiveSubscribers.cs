using System.Threading.Channels;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Errors;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.LiveUpdates;

/// <summary>
/// This replica's live subscriptions, by customer, and the rows in <c>live_subscribers</c> that make ingest
/// on any replica send notifications for those customers (<see cref="ReadingsNotification.NotifySql"/>).
/// <see cref="ReadingsListener"/> hands it every notification; each goes only to the subscriptions of its
/// customer (and administrators' every-customer ones), into a bounded buffer per subscription.
/// </summary>
public sealed class LiveSubscribers(NpgsqlDataSource dataSource, IOptions<LiveUpdatesOptions> options, ILogger<LiveSubscribers> logger)
{
    /// <summary>A row is renewed this often while its customer has subscribers here, and lapses after <see cref="RowLifetime"/>.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RowLifetime = TimeSpan.FromSeconds(90);

    private const string UpsertRows = """
        INSERT INTO live_subscribers (customer_id, replica_id, expires_at)
        SELECT customer_id, @replica, now() + @lifetime FROM unnest(@customers) AS c(customer_id)
        ON CONFLICT (customer_id, replica_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
        """;

    // This replica's rows for customers it no longer serves, and anyone's rows that lapsed long ago (a
    // replica that died without cleaning up).
    private const string DeleteStaleRows = """
        DELETE FROM live_subscribers
        WHERE (replica_id = @replica AND NOT customer_id = ANY(@customers)) OR expires_at < now() - interval '1 hour'
        """;

    private readonly ILogger logger = logger;
    private readonly Lock gate = new();
    private readonly Dictionary<Guid, List<Subscription>> byCustomer = [];

    /// <summary>This process among the API's replicas.</summary>
    public Guid ReplicaId { get; } = Guid.NewGuid();

    /// <summary>
    /// Starts receiving the committed batches of <paramref name="customerId"/> (null: every customer), of the
    /// given devices (null: all) and keys (null: all). Returns once ingest on every replica will notify for that customer.
    /// </summary>
    public async Task<Subscription> SubscribeAsync(Guid? customerId, IReadOnlyCollection<Guid>? deviceIds, CancellationToken ct, IReadOnlyCollection<string>? keys = null)
    {
        var key = customerId ?? ReadingsNotification.EveryCustomer;
        var subscription = new Subscription(this, key, deviceIds is null ? null : [.. deviceIds], keys is null ? null : [.. keys], options.Value.SubscriptionBuffer);
        lock (gate)
        {
            if (!byCustomer.TryGetValue(key, out var list))
            {
                byCustomer[key] = list = [];
            }

            list.Add(subscription);
        }

        try
        {
            await WriteRowsAsync([key], ct);
        }
        catch
        {
            subscription.Dispose();
            throw;
        }

        return subscription;
    }

    /// <summary>Offers a committed batch to the subscriptions that may see it.</summary>
    public void Dispatch(ReadingsNotification notification)
    {
        lock (gate)
        {
            Offer(notification.CustomerId, notification);
            Offer(ReadingsNotification.EveryCustomer, notification);
        }
    }

    /// <summary>Every subscription here misses what was committed while the listener was away: they end, so their clients resubscribe.</summary>
    public void EndAll(string reason)
    {
        List<Subscription> all;
        lock (gate)
        {
            all = [.. byCustomer.Values.SelectMany(list => list)];
        }

        foreach (var subscription in all)
        {
            subscription.End(new ApiErrorException(ApiErrors.Unavailable, reason));
        }
    }

    /// <summary>Keeps this replica's rows alive for the customers it serves and removes the rest.</summary>
    public async Task RenewAsync(CancellationToken ct)
    {
        Guid[] customers;
        lock (gate)
        {
            customers = [.. byCustomer.Keys];
        }

        await WriteRowsAsync(customers, ct);
        await using var delete = dataSource.CreateCommand(DeleteStaleRows);
        delete.Parameters.Add(new("replica", NpgsqlDbType.Uuid) { Value = ReplicaId });
        delete.Parameters.Add(new("customers", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = customers });
        await delete.ExecuteNonQueryAsync(ct);
    }

    private async Task WriteRowsAsync(Guid[] customers, CancellationToken ct)
    {
        if (customers.Length == 0)
        {
            return;
        }

        await using var upsert = dataSource.CreateCommand(UpsertRows);
        upsert.Parameters.Add(new("replica", NpgsqlDbType.Uuid) { Value = ReplicaId });
        upsert.Parameters.Add(new("lifetime", NpgsqlDbType.Interval) { Value = RowLifetime });
        upsert.Parameters.Add(new("customers", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = customers });
        await upsert.ExecuteNonQueryAsync(ct);
    }

    private void Offer(Guid key, ReadingsNotification notification)
    {
        if (byCustomer.TryGetValue(key, out var list))
        {
            foreach (var subscription in list)
            {
                subscription.Offer(notification);
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (gate)
        {
            if (byCustomer.TryGetValue(subscription.Key, out var list) && list.Remove(subscription) && list.Count == 0)
            {
                // Its row lapses at the next renewal: until then ingest notifies for nothing, which is harmless.
                byCustomer.Remove(subscription.Key);
            }
        }
    }

    /// <summary>One subscription's bounded queue of committed batches.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly LiveSubscribers owner;
        private readonly HashSet<Guid>? devices;
        private readonly HashSet<string>? keys;
        private readonly Channel<ReadingsNotification> queue;
        private readonly int capacity;

        internal Subscription(LiveSubscribers owner, Guid key, HashSet<Guid>? devices, HashSet<string>? keys, int capacity)
        {
            this.owner = owner;
            this.devices = devices;
            this.keys = keys;
            this.capacity = capacity;
            Key = key;
            queue = Channel.CreateBounded<ReadingsNotification>(new BoundedChannelOptions(capacity) { SingleReader = true });
        }

        internal Guid Key { get; }

        public ChannelReader<ReadingsNotification> Batches => queue.Reader;

        internal void Offer(ReadingsNotification notification)
        {
            if ((devices is null || devices.Contains(notification.DeviceId)) && (keys is null || keys.Contains(notification.Key))
                && !queue.Writer.TryWrite(notification))
            {
                owner.logger.LogWarning("A live subscription fell {Capacity} batches behind and was ended", capacity);
                End(new ApiErrorException(ApiErrors.TooSlow,
                    $"This subscription fell {capacity} committed batches behind and was ended. Read faster, or subscribe to fewer devices, then subscribe again."));
            }
        }

        internal void End(Exception reason) => queue.Writer.TryComplete(reason);

        public void Dispose()
        {
            queue.Writer.TryComplete();
            owner.Remove(this);
        }
    }
}
