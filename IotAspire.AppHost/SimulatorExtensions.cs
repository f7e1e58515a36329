using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace IotAspire.AppHost;

public static class SimulatorExtensions
{
    /// <summary>
    /// The device simulator, which fills the API (and so Grafana and the IDE) with live readings for a
    /// newcomer. On unless <c>Simulator:Enabled</c> is false. It creates its demo customer with the
    /// administrator's credentials the first time.
    /// </summary>
    public static void AddDeviceSimulator(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource> auth,
        IResourceBuilder<ParameterResource> adminUsername, IResourceBuilder<ParameterResource> adminPassword)
    {
        if (!builder.Configuration.GetValue("Simulator:Enabled", defaultValue: true))
        {
            builder.LogOnStart(LogLevel.Information, "The device simulator is off (Simulator:Enabled is false).");
            return;
        }

        builder.AddProject<Projects.IotAspire_DeviceSimulator>(name)
            .WithEnvironment("Simulator__ApiUrl", api.GetEndpoint("http"))
            .WithEnvironment("Simulator__AuthUrl", auth.GetEndpoint("http"))
            .WithEnvironment("Simulator__AdminUsername", adminUsername)
            .WithEnvironment("Simulator__AdminPassword", adminPassword)
            .WaitFor(api);
    }
}
