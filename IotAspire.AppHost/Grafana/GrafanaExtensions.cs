using IotAspire.AppHost.Postgres;
using Microsoft.Extensions.Logging;

namespace IotAspire.AppHost.Grafana;

public static class GrafanaExtensions
{
    /// <summary>A pinned image: provisioning files are written against this version's schema.</summary>
    private const string Image = "grafana/grafana";
    private const string Tag = "11.6.0";

    /// <summary>
    /// Adds Grafana, provisioned read-only from the repository's <c>grafana/</c> folder, where containers
    /// run. Grafana ships no binary we could run locally, so without containers it is left out and the
    /// AppHost says so.
    /// </summary>
    public static void AddIotGrafana(this IDistributedApplicationBuilder builder, string name, IotPostgres postgres,
        IResourceBuilder<IResourceWithConnectionString> readingsDatabase, int port)
    {
        if (!postgres.Plan.UsesContainers)
        {
            builder.LogOnStart(LogLevel.Warning,
                $"Grafana is skipped: it runs only as a container, and PostgreSQL runs from local binaries because {postgres.Plan.Reason}. "
                + "Start Docker or Podman and run the AppHost again to get the dashboards at http://localhost:" + port + ".");
            return;
        }

        var grafanaFolder = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "grafana"));
        builder.AddContainer(name, Image, Tag)
            .WithBindMount(Path.Combine(grafanaFolder, "provisioning"), "/etc/grafana/provisioning", isReadOnly: true)
            .WithBindMount(Path.Combine(grafanaFolder, "dashboards"), "/var/lib/grafana/dashboards", isReadOnly: true)
            .WithHttpEndpoint(port: port, targetPort: 3000)
            .WithEnvironment("GF_AUTH_ANONYMOUS_ENABLED", "false")
            .WaitFor(readingsDatabase);
    }
}
