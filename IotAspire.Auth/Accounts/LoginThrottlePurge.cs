namespace IotAspire.Auth.Accounts;

/// <summary>Deletes ended throttle windows every few minutes (<see cref="LoginThrottling.PurgeExpiredAsync"/>).</summary>
public sealed class LoginThrottlePurge(IServiceScopeFactory scopes, ILogger<LoginThrottlePurge> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var purged = await scope.ServiceProvider.GetRequiredService<LoginThrottling>().PurgeExpiredAsync(stoppingToken);
                logger.LogDebug("Purged {Count} ended sign-in throttle windows", purged);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be away for a moment; the next round tries again.
                logger.LogWarning(e, "Purging ended sign-in throttle windows failed");
            }
        }
    }
}
