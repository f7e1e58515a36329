using System.Collections.Concurrent;
using System.Threading.Channels;
using IotAspire.Api.Errors;
using Npgsql;

namespace IotAspire.Api.Alerts;

/// <summary>
/// This replica's <c>alertChanged</c> subscriptions, fed by a connection listening on <see cref="AlertStore.Channel"/>:
/// the evaluator notifies in the transaction that records a change, so every replica hears it once, after commit.
/// A subscription that falls <see cref="Capacity"/> changes behind is ended; a lost connection ends them all (what was
/// recorded meanwhile is in the history, <c>alerts</c>).
/// </summary>
public sealed class AlertFeed(NpgsqlDataSource dataSource, ILogger<AlertFeed> logger) : BackgroundService
{
    public const int Capacity = 256;
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<Subscription, byte> subscriptions = new();

    /// <param name="customerId">Only this customer's changes; null for every customer's (administrators).</param>
    /// <param name="deviceIds">Only these devices' changes; null for all.</param>
    public Subscription Subscribe(Guid? customerId, IReadOnlyCollection<Guid>? deviceIds)
    {
        var subscription = new Subscription(this, customerId, deviceIds is null ? null : [.. deviceIds]);
        subscriptions.TryAdd(subscription, 0);
        return subscription;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (AlertStore.ParseNotification(e.Payload) is { } alert)
                    {
                        foreach (var subscription in subscriptions.Keys)
                        {
                            subscription.Offer(alert);
                        }
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {AlertStore.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(e, "Lost the connection that listens for alerts; reopening it in {Delay}", RetryAfter);
                foreach (var subscription in subscriptions.Keys)
                {
                    subscription.End(new ApiErrorException(ApiErrors.Unavailable,
                        "The API lost its database connection for alerts; every change is in the history (alerts). Subscribe again."));
                }

                await Task.Delay(RetryAfter, stoppingToken);
            }
        }
    }

    /// <summary>One subscription's bounded queue of changes, filtered by its customer and devices.</summary>
    public sealed class Subscription(AlertFeed owner, Guid? customerId, HashSet<Guid>? devices) : IDisposable
    {
        private readonly Channel<AlertRecord> queue = Channel.CreateBounded<AlertRecord>(new BoundedChannelOptions(Capacity) { SingleReader = true });

        public ChannelReader<AlertRecord> Changes => queue.Reader;

        internal void Offer(AlertRecord alert)
        {
            if ((customerId is null || alert.CustomerId == customerId) && (devices is null || devices.Contains(alert.DeviceId)) && !queue.Writer.TryWrite(alert))
            {
                End(new ApiErrorException(ApiErrors.TooSlow, $"This subscription fell {Capacity} alerts behind and was ended. Read faster, then subscribe again (the history, alerts, has every change)."));
            }
        }

        internal void End(Exception reason) => queue.Writer.TryComplete(reason);

        public void Dispose()
        {
            queue.Writer.TryComplete();
            owner.subscriptions.TryRemove(this, out _);
        }
    }
}
