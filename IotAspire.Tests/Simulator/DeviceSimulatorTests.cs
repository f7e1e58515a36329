using IotAspire.Api.Devices;
using IotAspire.DeviceSimulator;
using IotAspire.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace IotAspire.Tests.Simulator;

[Collection(SecondAppHostCollection.Name)]
public sealed class DeviceSimulatorTests(SecondAppHostFixture fixture)
{
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    [Fact]
    public async Task Run_for_a_few_seconds_with_device_tokens_it_lands_readings_that_the_API_returns()
    {
        var (customer, devices) = await CustomerWithDevicesAsync();

        var last = await RunAsync(new SimulatorOptions { Devices = devices });

        Assert.Equal(0, last.Errors);
        Assert.True(last.Sent >= 20, $"sent {last.Sent}");
        var stored = (await graphQL.DataAsync("{ devices { id readingCount } }", null, customer)).GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(devices.Select(d => d.DeviceId).Order(), stored.Select(d => d.GetProperty("id").GetGuid()).Order());
        // Duplicates are resent on purpose and count once, so the stored readings are at most those sent.
        Assert.InRange(stored.Sum(d => d.GetProperty("readingCount").GetInt32()), 1, last.Sent);
    }

    [Fact]
    public async Task Over_mqtt_each_device_sends_on_its_own_connection_and_every_acknowledged_reading_is_stored()
    {
        var (customer, devices) = await CustomerWithDevicesAsync();

        var last = await RunAsync(new SimulatorOptions
        {
            Devices = devices, Protocol = SimulatorProtocol.Mqtt, MqttUrl = $"tcp://127.0.0.1:{fixture.AppHost.MqttPort}",
        });

        Assert.Equal(0, last.Errors);
        Assert.True(last.Sent >= 20, $"sent {last.Sent}");
        var stored = (await graphQL.DataAsync("{ devices { id readingCount } }", null, customer)).GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(devices.Select(d => d.DeviceId).Order(), stored.Select(d => d.GetProperty("id").GetGuid()).Order());
        Assert.InRange(stored.Sum(d => d.GetProperty("readingCount").GetInt32()), 1, last.Sent);
    }

    /// <summary>What the AppHost does for its simulator: the API stores the tokens a seed gives the devices, the simulator derives the same.</summary>
    [Fact]
    public async Task Devices_given_by_a_seed_send_with_the_tokens_the_api_stored_for_them()
    {
        var (customer, customerId) = await new TokenServiceClient(fixture.AppHost).NewCustomerAsync();
        var seed = "test-seed-" + Guid.NewGuid().ToString("N");
        var deviceIds = Enumerable.Range(0, 2).Select(_ => Guid.NewGuid()).ToList();
        await using (var owner = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase)))
        {
            var bootstrap = new DeviceTokenBootstrap(new DeviceTokenStore(owner),
                Microsoft.Extensions.Options.Options.Create(new DeviceTokenBootstrapOptions { Seed = seed, CustomerId = customerId, DeviceIds = deviceIds }),
                NullLogger<DeviceTokenBootstrap>.Instance);
            await bootstrap.StartAsync(default);
            await bootstrap.StartAsync(default);   // every start of the API: harmless
        }

        var last = await RunAsync(new SimulatorOptions { DeviceTokenSeed = seed, DeviceIds = deviceIds });

        Assert.Equal(0, last.Errors);
        var tokens = (await graphQL.DataAsync(GraphQLDocuments.DeviceTokens, null, customer)).GetProperty("deviceTokens").EnumerateArray().ToList();
        Assert.Equal(deviceIds.Order(), tokens.Select(t => t.GetProperty("deviceId").GetGuid()).Order());
        var stored = (await graphQL.DataAsync("{ devices { id readingCount } }", null, customer)).GetProperty("devices").EnumerateArray();
        Assert.All(stored, d => Assert.True(d.GetProperty("readingCount").GetInt32() > 0));
    }

    /// <summary>A new customer with three devices, each with a device token of its own.</summary>
    private async Task<(string Customer, List<SimulatedDevice> Devices)> CustomerWithDevicesAsync()
    {
        var (customer, _) = await new TokenServiceClient(fixture.AppHost).NewCustomerAsync();
        var devices = new List<SimulatedDevice>();
        foreach (var device in Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()))
        {
            var created = await graphQL.DataAsync(GraphQLDocuments.CreateDeviceToken, new { d = device }, customer);
            devices.Add(new SimulatedDevice { DeviceId = device, Token = created.GetProperty("createDeviceToken").GetProperty("token").GetString()! });
        }

        return (customer, devices);
    }

    private async Task<SimulationProgress> RunAsync(SimulatorOptions options)
    {
        options.ReadingsPerSecond = 20;
        options.BatchInterval = TimeSpan.FromMilliseconds(500);
        options.Duration = TimeSpan.FromSeconds(3);
        using var api = fixture.AppHost.CreateHttpClient(ResourceNames.Api);
        await using var simulation = new DeviceSimulation(api, options, NullLogger.Instance, new Random(42));
        SimulationProgress? last = null;
        await simulation.RunAsync(progress => last = progress, CancellationToken.None);
        return Assert.IsType<SimulationProgress>(last);
    }
}
