using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace IotAspire.AppHost;

public static class SimulatorExtensions
{
    private const string DemoCustomerUsername = "demo-customer";
    private static readonly Guid DemoCustomerId = Guid.Parse("5f0c3a1e-7d2b-4e8a-9c61-2b7f4d9e8a10");

    /// <summary>
    /// The device simulator, which fills the API (and so Grafana and the IDE) with live readings for a
    /// newcomer. On unless <c>Simulator:Enabled</c> is false; <c>Simulator:DeviceCount</c> devices (5), sending
    /// over GraphQL or, with <c>Simulator:Protocol=Mqtt</c>, each over its own MQTT connection.
    /// <para>
    /// Its devices send with device tokens, as real ones would: the API and the simulator derive each
    /// device's token from one secret parameter generated on the first run (<c>simulator-device-token-seed</c>,
    /// <see cref="DeviceTokenText.ForDevice"/>), and the API stores only their hashes. The simulator holds no
    /// customer's password. The demo customer the devices belong to is an account (the
    /// <c>simulator-password</c> parameter) for a person to sign in with and look at them.
    /// </para>
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
        var tokenSeed = builder.AddParameter("simulator-device-token-seed",
            new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

        auth.WithEnvironment("Bootstrap__DemoCustomerUsername", DemoCustomerUsername)
            .WithEnvironment("Bootstrap__DemoCustomerId", DemoCustomerId.ToString())
            .WithEnvironment("Bootstrap__DemoCustomerPassword", password);

        var simulator = builder.AddProject<Projects.IotAspire_DeviceSimulator>(name)
            .WithEnvironment("Simulator__ApiUrl", api.GetEndpoint("http"))
            .WithEnvironment("Simulator__DeviceTokenSeed", tokenSeed)
            .WithEnvironment("Simulator__MqttUrl", api.GetEndpoint("mqtt"))   // used with Simulator:Protocol=Mqtt
            .WithEnvironment("Simulator__Protocol", builder.Configuration["Simulator:Protocol"] is { Length: > 0 } protocol ? protocol : "GraphQL")
            .WaitFor(api);
        api.WithEnvironment("Bootstrap__DeviceTokens__Seed", tokenSeed)
            .WithEnvironment("Bootstrap__DeviceTokens__CustomerId", DemoCustomerId.ToString());

        var devices = builder.Configuration.GetValue("Simulator:DeviceCount", defaultValue: 5);
        for (var i = 0; i < devices; i++)
        {
            var deviceId = DeviceId(i).ToString();
            simulator.WithEnvironment($"Simulator__DeviceIds__{i}", deviceId);
            api.WithEnvironment($"Bootstrap__DeviceTokens__DeviceIds__{i}", deviceId);
        }
    }

    /// <summary>Stable per index, so a restarted simulator feeds the same devices.</summary>
    private static Guid DeviceId(int index)
    {
        var bytes = DemoCustomerId.ToByteArray();
        bytes[0] ^= (byte)(index + 1);
        bytes[1] ^= 0x5A;
        return new Guid(bytes);
    }
}
