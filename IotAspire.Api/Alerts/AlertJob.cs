using Microsoft.Extensions.Options;

namespace IotAspire.Api.Alerts;

/// <summary>Runs <see cref="AlertEvaluator"/> every <see cref="AlertsOptions.EvaluationInterval"/>, on whichever replica gets the turn.</summary>
public sealed class AlertJob(AlertEvaluator evaluator, IOptions<AlertsOptions> options, TimeProvider clock, ILogger<AlertJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await evaluator.RunPassAsync(stoppingToken) is { Recorded: > 0 } pass)
                {
                    logger.LogInformation("Alerts: {Recorded} changes recorded from {Rules} rules on {Devices} devices in {Took} ms",
                        pass.Recorded, pass.Rules, pass.Devices, (int)pass.Took.TotalMilliseconds);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The pass rolled back: its pending rows are still there for the next one.
                logger.LogWarning(e, "An alert evaluation pass failed; the next one takes its work");
            }

            await Task.Delay(options.Value.EvaluationInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
