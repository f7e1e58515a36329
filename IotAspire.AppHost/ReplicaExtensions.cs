namespace IotAspire.AppHost;

public static class ReplicaExtensions
{
    /// <summary>The most replicas of one service; more belong on more machines, not on one AppHost.</summary>
    public const int MaxReplicas = 16;

    /// <summary>How many processes of a service to run (<c>{service}:Replicas</c>, 1 to 16; 1 unless set).</summary>
    public static int GetReplicas(this IDistributedApplicationBuilder builder, string service)
    {
        var configured = builder.Configuration[$"{service}:Replicas"];
        return configured is null or ""
            ? 1
            : int.TryParse(configured, out var replicas) && replicas is >= 1 and <= MaxReplicas
                ? replicas
                : throw new InvalidOperationException($"{service}:Replicas must be a whole number from 1 to {MaxReplicas}, not '{configured}'.");
    }

    /// <summary>
    /// Runs <c>{service}:Replicas</c> processes of the service, sharing its port through Aspire's proxy. They share
    /// everything else through PostgreSQL. The API: the migrations (EF Core takes a lock), device-token revocation
    /// (read from the table) and live updates (LISTEN/NOTIFY), so a subscriber on one replica sees what another
    /// stored. The token service: its signing keys (in the accounts database; replicas starting on a new database add
    /// one first key between them) and its key ring directory (Data Protection reads a key another replica wrote when
    /// it meets it).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithConfiguredReplicas(this IResourceBuilder<ProjectResource> service, string configurationSection) =>
        service.ApplicationBuilder.GetReplicas(configurationSection) is var replicas && replicas == 1 ? service : service.WithReplicas(replicas);
}
