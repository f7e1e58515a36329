using IotAspire.Api.ReadingsStore;
using Npgsql;

namespace IotAspire.Api.LiveUpdates;

/// <summary>
/// Listens on <see cref="ReadingsNotification.Channel"/> with a connection of its own, so that a batch
/// committed through any replica reaches this replica's subscriptions (<see cref="LiveSubscribers"/>), and
/// renews this replica's <c>live_subscribers</c> rows. A lost connection is reopened; the subscriptions
/// that were open then are ended, because what was committed meanwhile did not reach them.
/// </summary>
public sealed class ReadingsListener(NpgsqlDataSource dataSource, LiveSubscribers subscribers, ILogger<ReadingsListener> logger) : BackgroundService
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(e, "Lost the connection that listens for committed readings; reopening it in {Delay}", RetryAfter);
                subscribers.EndAll("The API lost its database connection for live updates; nothing was lost from storage. Subscribe again.");
                await Task.Delay(RetryAfter, stoppingToken);
            }
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        connection.Notification += (_, e) =>
        {
            if (ReadingsNotification.Parse(e.Payload) is { } notification)
            {
                subscribers.Dispatch(notification);
            }
            else
            {
                logger.LogWarning("Ignored a {Channel} notification that is not ours: {Payload}", e.Channel, e.Payload);
            }
        };

        await using (var listen = new NpgsqlCommand($"LISTEN {ReadingsNotification.Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(ct);
        }

        logger.LogInformation("Listening for committed readings as replica {Replica}", subscribers.ReplicaId);
        var nextRenewal = DateTime.UtcNow;
        while (true)
        {
            if (DateTime.UtcNow >= nextRenewal)
            {
                await subscribers.RenewAsync(ct);
                nextRenewal = DateTime.UtcNow + LiveSubscribers.RenewEvery;
            }

            // Returns on a notification (its handler has run) or at the timeout; either way the loop goes on.
            await connection.WaitAsync(LiveSubscribers.RenewEvery, ct);
        }
    }
}
