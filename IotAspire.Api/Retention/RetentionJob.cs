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
                var runs = await runner.RunOnceAsync(TimeSpan.Zero, stoppingToken);
                if (runs is null)
                {
                    logger.LogInformation("Retention is running on another replica; this one skips its turn");
                }
                else
                {
                    logger.LogInformation("Retention ran for {Customers} customer(s) with a period: {Readings} readings and {Rollups} rollup rows deleted; next run in {Interval}",
                        runs.Count, runs.Sum(r => r.ReadingsDeleted), runs.Sum(r => r.RollupRowsDeleted), options.Value.Interval);
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
