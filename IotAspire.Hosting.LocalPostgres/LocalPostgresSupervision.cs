using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>
/// Shows in the dashboard what <c>run-local-postgres.sh</c> does when it supervises the server: <c>Restarting</c>
/// (a warning) from the moment the server died until it accepts connections again, then <c>Running</c>, and a
/// <c>postgres.restarts</c> count. The launcher restarts the server itself, on the same port, so nothing that
/// holds the connection string has to change; the AppHost only reads its log.
/// </summary>
public static class LocalPostgresSupervision
{
    /// <summary>The launcher's line when it restarts a server that exited unexpectedly.</summary>
    public const string RestartingLine = "run-local-postgres: restarting:";

    /// <summary>PostgreSQL's line once it accepts connections (after crash recovery, on a restart).</summary>
    public const string ReadyLine = "database system is ready to accept connections";

    public const string RestartingState = "Restarting";
    public const string RestartsProperty = "postgres.restarts";

    /// <summary>What a log line means for the server's state: restarting, ready again, or nothing.</summary>
    public static string? StateOf(string line) =>
        line.Contains(RestartingLine, StringComparison.Ordinal) ? RestartingState
        : line.Contains(ReadyLine, StringComparison.Ordinal) ? KnownResourceStates.Running
        : null;

    internal static IResourceBuilder<LocalPostgresServerResource> WithSupervisionState(this IResourceBuilder<LocalPostgresServerResource> server)
    {
        server.ApplicationBuilder.Eventing.Subscribe<AfterResourcesCreatedEvent>((@event, ct) =>
        {
            var logs = @event.Services.GetRequiredService<ResourceLoggerService>();
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = FollowAsync(server.Resource, logs, notifications, stopping);
            return Task.CompletedTask;
        });
        return server;
    }

    private static async Task FollowAsync(IResource server, ResourceLoggerService logs, ResourceNotificationService notifications, CancellationToken stopping)
    {
        var restarts = 0;
        var restarting = false;
        try
        {
            await foreach (var batch in logs.WatchAsync(server).WithCancellation(stopping))
            {
                foreach (var line in batch)
                {
                    var state = StateOf(line.Content);
                    if (state == RestartingState)
                    {
                        restarts++;
                        restarting = true;
                    }
                    else if (state is null || !restarting)
                    {
                        continue;   // the first start's "ready" is Aspire's own Running
                    }
                    else
                    {
                        restarting = false;
                    }

                    var count = restarts;
                    await notifications.PublishUpdateAsync(server, snapshot => snapshot with
                    {
                        State = state == RestartingState ? new ResourceStateSnapshot(RestartingState, KnownResourceStateStyles.Warn) : KnownResourceStates.Running,
                        Properties = [.. snapshot.Properties.Where(p => p.Name != RestartsProperty), new(RestartsProperty, count)],
                    });
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
