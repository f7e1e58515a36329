using Microsoft.Extensions.Options;

namespace IotAspire.Api.Retention;

/// <summary>Runs <see cref="RetentionRunner"/> every <see cref="RetentionOptions.Interval"/> (when enabled).</summary>
public sealed class RetentionJob(RetentionRunner runner, IOptions<RetentionOptions> options, ILogger<RetentionJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            logger.LogInformation("The retention job is off (Retention:Enabled is false)");
            return;
        }

        await Task.Delay(options.Value.FirstRunDelay, stoppingToken);
        using var timer = new PeriodicTimer(options.Value.Interval);
        do
        {
            try
            {
                if (await runner.RunOnceAsync(TimeSpan.Zero, stoppingToken) is null)
                {
                    logger.LogInformation("Retention is running on another replica; this one skips its turn");
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "The retention job could not run; it tries again in {Interval}", options.Value.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
