using Aspire.Hosting.ApplicationModel;

namespace IotAspire.Hosting.LocalPostgres;

internal static class ResourceStateExtensions
{
    /// <summary>
    /// A resource nothing runs (a database, a login) starts life Waiting; once the AppHost has made it, it is
    /// declared Running here, which is when Aspire starts its health checks and so releases its WaitFor.
    /// </summary>
    public static Task PublishRunningAsync(this ResourceNotificationService notifications, IResource resource) =>
        notifications.PublishUpdateAsync(resource, state => state with
        {
            State = KnownResourceStates.Running,
            StartTimeStamp = DateTime.UtcNow,
        });
}
