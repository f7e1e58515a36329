using Microsoft.Extensions.Options;

namespace IotAspire.DeviceSimulator;

/// <summary>Runs the simulation until stopped (or for <see cref="SimulatorOptions.Duration"/>) and shows progress.</summary>
public sealed class SimulatorService(
    IHttpClientFactory clients, IOptions<SimulatorOptions> options, ILogger<SimulatorService> logger, IHostApplicationLifetime lifetime)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var simulation = new DeviceSimulation(clients.CreateClient("api"), options.Value, logger);
        logger.LogInformation("Simulating {Devices} devices, each with its own device token, at {Rate} readings/s against {Api}",
            simulation.DeviceIds.Count, options.Value.ReadingsPerSecond, options.Value.ApiUrl);

        // A terminal gets one line rewritten in place; a log (the Aspire dashboard) a line every 10 seconds.
        var interactive = !Console.IsOutputRedirected;
        var lastLogged = DateTimeOffset.MinValue;
        try
        {
            await simulation.RunAsync(progress =>
            {
                var line = $"readings sent: {progress.Sent}, rate: {progress.ReadingsPerSecond:0.0}/s, errors: {progress.Errors}";
                if (interactive)
                {
                    Console.Write("\r" + line + "   ");
                }
                else if (DateTimeOffset.UtcNow - lastLogged > TimeSpan.FromSeconds(10))
                {
                    lastLogged = DateTimeOffset.UtcNow;
                    logger.LogInformation("{Progress}", line);
                }
            }, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (SimulatorException e)
        {
            logger.LogError("The simulator stops: {Reason}", e.Message);
            Environment.ExitCode = 1;
        }

        lifetime.StopApplication();
    }
}
