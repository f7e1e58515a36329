using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace IotAspire.AppHost;

public static class SimulatorExtensions
{
    private const string DemoCustomerUsername = "demo-customer";
    private const string DemoCustomerId = "5f0c3a1e-7d2b-4e8a-9c61-2b7f4d9e8a10";

    /// <summary>
    /// The device simulator, which fills the API (and so Grafana and the IDE) with live readings for a
    /// newcomer. On unless <c>Simulator:Enabled</c> is false. Its demo customer's password is a secret
    /// parameter generated on the first run (<c>simulator-password</c>); the token service provisions the
    /// account with it, so the simulator signs in as that customer and never sees an administrator's password.
    /// </summary>
    public static void AddDeviceSimulator(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource> auth)
    {
        if (!builder.Configuration.GetValue("Simulator:Enabled", defaultValue: true))
        {
            builder.LogOnStart(LogLevel.Information, "The device simulator is off (Simulator:Enabled is false).");
            return;
        }

        var password = builder.AddParameter("simulator-password",
            new GenerateParameterDefault { MinLength = 20, MinLower = 1, MinUpper = 1, MinNumeric = 1, Special = false }, secret: true, persist: true);

        auth.WithEnvironment("Bootstrap__DemoCustomerUsername", DemoCustomerUsername)
            .WithEnvironment("Bootstrap__DemoCustomerId", DemoCustomerId)
            .WithEnvironment("Bootstrap__DemoCustomerPassword", password);

        builder.AddProject<Projects.IotAspire_DeviceSimulator>(name)
            .WithEnvironment("Simulator__ApiUrl", api.GetEndpoint("http"))
            .WithEnvironment("Simulator__AuthUrl", auth.GetEndpoint("http"))
            .WithEnvironment("Simulator__Username", DemoCustomerUsername)
            .WithEnvironment("Simulator__CustomerId", DemoCustomerId)
            .WithEnvironment("Simulator__Password", password)
            .WaitFor(api);
    }
}
