using Microsoft.Extensions.Options;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Materialization;

/// <summary>
/// Runs <see cref="RollupMaterializer"/> passes back to back while there is a full pass of work, then every
/// <see cref="MaterializerOptions.Interval"/>; reads the lag after each pass for the dashboard's gauge, and
/// vacuums the pending table every <see cref="MaterializerOptions.VacuumInterval"/> on the replica that runs passes.
/// </summary>
public sealed class MaterializerJob(RollupMaterializer materializer, IOptions<MaterializerOptions> options, ILogger<MaterializerJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            logger.LogInformation("The rollup materializer is off on this replica (Materializer:Enabled is false)");
            return;
        }

        var failures = 0;
        var vacuumedAt = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pass = await materializer.RunPassAsync(waitForTurn: false, stoppingToken);
                await materializer.StatusAsync(stoppingToken);
                failures = 0;
                if (pass is not null && DateTime.UtcNow - vacuumedAt >= options.Value.VacuumInterval)
                {
                    vacuumedAt = DateTime.UtcNow;
                    await materializer.VacuumAsync(stoppingToken);
                }

                if (pass is { Rows: var rows } && rows >= options.Value.MaxRowsPerPass)
                {
                    continue;   // more is waiting
                }

                await Task.Delay(options.Value.Interval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                // The database is away: the pending rows wait for it (they are only deleted by a committed pass).
                var backoff = TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * Math.Pow(2, Math.Min(failures++, 6))));
                logger.LogWarning(e, "A rollup materializer pass failed; the next try is in {Backoff}", backoff);
                await Task.Delay(backoff, stoppingToken);
            }
        }
    }
}
