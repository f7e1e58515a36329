using Microsoft.Extensions.Logging;

namespace IotAspire.AppHost.Grafana;

public static class GrafanaExtensions
{
    /// <summary>A pinned image: provisioning files are written against this version's schema.</summary>
    private const string Image = "grafana/grafana";
    private const string Tag = "11.6.0";

    /// <summary>
    /// Adds Grafana, provisioned read-only from the repository's <c>grafana/</c> folder (data source and
    /// dashboards), where containers run. The data source reaches PostgreSQL over the container network as
    /// the read-only <c>grafana_reader</c> role; its address and password come in by environment variable.
    /// Grafana ships no binary we could run locally, so without containers it is left out and the AppHost
    /// says so.
    /// </summary>
    public static void AddIotGrafana(this IDistributedApplicationBuilder builder, string name, PostgresWithLocalFallback postgres,
        IResourceBuilder<PostgresLoginResource> readerLogin, int port)
    {
        if (!postgres.Plan.UsesContainers)
        {
            builder.LogOnStart(LogLevel.Warning,
                $"Grafana is skipped: it runs only as a container, and PostgreSQL runs from local binaries because {postgres.Plan.Reason}. "
                + "Start Docker or Podman and run the AppHost again to get the dashboards at http://localhost:" + port + ".");
            return;
        }

        var adminPassword = builder.AddParameter("grafana-admin-password", new GenerateParameterDefault { MinLength = 16, Special = false }, secret: true, persist: true);
        var grafanaFolder = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "grafana"));
        builder.AddContainer(name, Image, Tag)
            .WithBindMount(Path.Combine(grafanaFolder, "provisioning"), "/etc/grafana/provisioning", isReadOnly: true)
            .WithBindMount(Path.Combine(grafanaFolder, "dashboards"), "/var/lib/grafana/dashboards", isReadOnly: true)
            .WithHttpEndpoint(port: port, targetPort: 3000)
            // Containers reach each other by resource name on Aspire's container network.
            .WithEnvironment("READINGS_DB_ADDRESS", $"{postgres.Server.Resource.Name}:5432")
            .WithEnvironment("READINGS_DB_PASSWORD", readerLogin.Resource.Password)
            .WithEnvironment("GF_SECURITY_ADMIN_PASSWORD", adminPassword)
            .WithEnvironment("GF_AUTH_ANONYMOUS_ENABLED", "false")
            .WithEnvironment("GF_ANALYTICS_REPORTING_ENABLED", "false")
            .WithEnvironment("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", "/var/lib/grafana/dashboards/iot-readings.json")
            .WithHttpHealthCheck("/api/health")
            .WaitFor(readerLogin);
    }
}
