using IotAspire.DeviceSimulator;
using IotAspire.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotAspire.Tests.Simulator;

[Collection(AppHostCollection.Name)]
public sealed class DeviceSimulatorTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Run_for_a_few_seconds_as_its_customer_it_lands_readings_that_the_API_returns()
    {
        var customerId = Guid.NewGuid();
        var options = new SimulatorOptions
        {
            Username = await new TokenServiceClient(fixture.AppHost).CreateCustomerAsync(customerId, TokenServiceClient.CustomerPassword, "sim"),
            Password = TokenServiceClient.CustomerPassword,
            CustomerId = customerId,
            Devices = 3,
            ReadingsPerSecond = 20,
            BatchInterval = TimeSpan.FromMilliseconds(500),
            Duration = TimeSpan.FromSeconds(3),
        };
        using var auth = fixture.AppHost.CreateHttpClient(ResourceNames.Auth);
        using var api = fixture.AppHost.CreateHttpClient(ResourceNames.Api);
        var simulation = new DeviceSimulation(auth, api, options, NullLogger.Instance, new Random(42));
        SimulationProgress? last = null;

        await simulation.RunAsync(progress => last = progress, CancellationToken.None);

        Assert.NotNull(last);
        Assert.Equal(0, last.Errors);
        Assert.True(last.Sent >= 20, $"sent {last.Sent}");
        var token = (await new TokenServiceClient(fixture.AppHost).TokensAsync(options.Username, options.Password)).Access;
        var devices = (await new GraphQLClient(fixture.AppHost).DataAsync("{ devices { id readingCount } }", null, token))
            .GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(simulation.DeviceIds.Order(), devices.Select(d => d.GetProperty("id").GetGuid()).Order());
        // Duplicates are resent on purpose and count once, so the stored readings are at most those sent.
        var stored = devices.Sum(d => d.GetProperty("readingCount").GetInt32());
        Assert.InRange(stored, 1, last.Sent);
    }
}
