namespace IotAspire.AppHost;

public static class ReplicaExtensions
{
    /// <summary>How many API processes to run (<c>Api:Replicas</c>, 1 to 16; 1 unless set).</summary>
    public static int GetApiReplicas(this IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration["Api:Replicas"];
        return configured is null or ""
            ? 1
            : int.TryParse(configured, out var replicas) && replicas is >= 1 and <= 16
                ? replicas
                : throw new InvalidOperationException($"Api:Replicas must be a whole number from 1 to 16, not '{configured}'.");
    }

    /// <summary>
    /// Several replicas share the API's port through Aspire's proxy. They share everything else through
    /// PostgreSQL: the migrations (EF Core takes a lock), device-token revocation (read from the table) and
    /// live updates (LISTEN/NOTIFY), so a subscriber on one replica sees what another stored.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithApiReplicas(this IResourceBuilder<ProjectResource> api, int replicas) =>
        replicas == 1 ? api : api.WithReplicas(replicas);
}
