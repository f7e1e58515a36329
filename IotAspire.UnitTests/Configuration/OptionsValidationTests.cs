using IotAspire.Api.Devices;
using IotAspire.Api.GraphQLWebSockets;
using IotAspire.Api.HeavyReads;
using IotAspire.Api.Ingestion;
using IotAspire.Auth.Accounts;
using IotAspire.Auth.Tokens;
using IotAspire.Auth.Users;
using IotAspire.DeviceSimulator;
using IotAspire.Shared.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IotAspire.UnitTests.Configuration;

/// <summary>A bad setting stops the service at start, with a message that names it; good settings start.</summary>
public sealed class OptionsValidationTests
{
    private static async Task<string?> StartWith(Action<IHostApplicationBuilder> register, params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)));
        register(builder);
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
            await host.StopAsync();
            return null;
        }
        catch (OptionsValidationException e)
        {
            return e.Message;
        }
    }

    [Fact]
    public async Task The_shipped_defaults_start()
    {
        Assert.Null(await StartWith(b => b.AddIngestion()));
        Assert.Null(await StartWith(b => b.AddAccounts()));
        Assert.Null(await StartWith(b => b.AddTokens()));
        Assert.Null(await StartWith(b => b.AddValidatedOptions<BootstrapOptions>(BootstrapOptions.Section)));
        Assert.Null(await StartWith(b => b.AddValidatedOptions<SimulatorOptions>(SimulatorOptions.Section), ("Simulator:DeviceTokenSeed", "seed-from-the-apphost-0123456789"), ("Simulator:DeviceIds:0", "00000000-0000-4000-8000-000000000001")));
        Assert.Null(await StartWith(b => b.AddValidatedOptions<DeviceTokenBootstrapOptions>(DeviceTokenBootstrapOptions.Section)));
    }

    [Theory]
    [InlineData("GraphQLWebSocket:MaxQueuedMessages", "0", "MaxQueuedMessages")]
    [InlineData("GraphQLWebSocket:ConnectionInitTimeout", "00:00:00", "ConnectionInitTimeout")]
    [InlineData("GraphQLWebSocket:MaxOperations", "100000", "MaxOperations")]
    public async Task WebSocket_limits_out_of_range_stop_the_api(string key, string value, string named)
    {
        Assert.Null(await StartWith(b => b.AddValidatedOptions<GraphQLWebSocketOptions>(GraphQLWebSocketOptions.Section)));
        Assert.Contains(named, await StartWith(b => b.AddValidatedOptions<GraphQLWebSocketOptions>(GraphQLWebSocketOptions.Section), (key, value)));
    }

    [Theory]
    [InlineData("HeavyReads:HeavyCost", "0", "HeavyCost")]
    [InlineData("HeavyReads:PerCustomer", "0", "PerCustomer")]
    [InlineData("HeavyReads:MaxWait", "00:10:00", "MaxWait")]
    [InlineData("HeavyReads:PerCustomer", "300", "PerCustomer")]
    public async Task Heavy_read_limits_out_of_range_stop_the_api(string key, string value, string named)
    {
        Assert.Null(await StartWith(b => b.AddHeavyReadBudget()));
        Assert.Contains(named, await StartWith(b => b.AddHeavyReadBudget(), (key, value)));
    }

    [Theory]
    [InlineData("4", "2")]
    [InlineData("2", "2")]   // one customer could take every turn there is
    public async Task As_many_heavy_reads_per_customer_as_in_all_stops_the_api(string perCustomer, string inAll) =>
        Assert.Contains("PerCustomer must be less than InAll",
            await StartWith(b => b.AddHeavyReadBudget(), ("HeavyReads:PerCustomer", perCustomer), ("HeavyReads:InAll", inAll)));

    [Theory]
    [InlineData("HeavyReads:MinResponseBytesPerSecond", "0", "MinResponseBytesPerSecond")]
    [InlineData("HeavyReads:ResponseGracePeriod", "00:00:00", "ResponseGracePeriod")]
    public async Task Heavy_response_limits_out_of_range_stop_the_api(string key, string value, string named) =>
        Assert.Contains(named, await StartWith(b => b.AddHeavyReadBudget(), (key, value)));

    [Theory]
    [InlineData("FailedTokenThrottling:MaxFailures", "0", "MaxFailures")]
    [InlineData("FailedTokenThrottling:Window", "00:00:00", "Window")]
    public async Task Failed_token_limits_out_of_range_stop_the_service(string key, string value, string named)
    {
        Assert.Null(await StartWith(b => b.AddFailedTokenThrottle()));
        Assert.Contains(named, await StartWith(b => b.AddFailedTokenThrottle(), (key, value)));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("100000000")]
    public async Task Ingestion_batch_size_out_of_range_stops_the_api(string value)
    {
        Assert.Contains("MaxBatchSize", await StartWith(b => b.AddIngestion(), ("Ingestion:MaxBatchSize", value)));
    }

    [Theory]
    [InlineData("Tokens:AccessTokenLifetime", "00:00:00", "AccessTokenLifetime")]
    [InlineData("Tokens:AccessTokenLifetime", "30.00:00:00", "AccessTokenLifetime")]
    [InlineData("Tokens:SigningKeyActivationDelay", "-00:01:00", "SigningKeyActivationDelay")]
    [InlineData("Tokens:SigningKeyActivationDelay", "00:01:00", "at least 5 minutes")]
    [InlineData("Tokens:RefreshTokenLifetime", "00:02:00", "RefreshTokenLifetime must be longer than AccessTokenLifetime")]
    public async Task Token_lifetimes_out_of_range_stop_the_token_service(string key, string value, string named)
    {
        Assert.Contains(named, await StartWith(b => b.AddTokens(), (key, value)));
    }

    [Theory]
    [InlineData("LoginThrottling:MaxFailures", "0", "MaxFailures")]
    [InlineData("LoginThrottling:Window", "00:00:00", "Window")]
    public async Task Throttling_settings_out_of_range_stop_the_token_service(string key, string value, string named)
    {
        Assert.Contains(named, await StartWith(b => b.AddAccounts(), (key, value)));
    }

    [Fact]
    public async Task An_empty_admin_username_stops_the_token_service()
    {
        Assert.Contains("AdminUsername", await StartWith(b => b.AddValidatedOptions<BootstrapOptions>(BootstrapOptions.Section), ("Bootstrap:AdminUsername", "")));
    }

    [Fact]
    public async Task The_simulator_has_no_default_devices_and_says_how_to_give_them()
    {
        Assert.Contains("Simulator:Devices:0:Token", await StartWith(b => b.AddValidatedOptions<SimulatorOptions>(SimulatorOptions.Section)));
        Assert.Contains("needs a DeviceId and a Token", await StartWith(b => b.AddValidatedOptions<SimulatorOptions>(SimulatorOptions.Section),
            ("Simulator:Devices:0:DeviceId", "00000000-0000-4000-8000-000000000001"), ("Simulator:Devices:0:Token", "not-a-token")));
        Assert.Contains("needs Simulator:DeviceTokenSeed", await StartWith(b => b.AddValidatedOptions<SimulatorOptions>(SimulatorOptions.Section),
            ("Simulator:DeviceIds:0", "00000000-0000-4000-8000-000000000001")));
    }

    [Theory]
    [InlineData("short", "at least 22 characters")]
    [InlineData("seed-from-the-apphost-0123456789", "names its CustomerId and its DeviceIds")]
    public async Task A_bootstrap_device_token_seed_without_what_it_needs_stops_the_api(string seed, string named)
    {
        Assert.Contains(named, await StartWith(b => b.AddValidatedOptions<DeviceTokenBootstrapOptions>(DeviceTokenBootstrapOptions.Section),
            ("Bootstrap:DeviceTokens:Seed", seed)));
    }

    [Theory]
    [InlineData("Simulator:ApiUrl", "not a url", "ApiUrl")]
    [InlineData("Simulator:ReadingsPerSecond", "0", "ReadingsPerSecond")]
    [InlineData("Simulator:BatchInterval", "00:00:00", "BatchInterval")]
    public async Task Simulator_settings_out_of_range_stop_the_simulator(string key, string value, string named)
    {
        Assert.Contains(named, await StartWith(b => b.AddValidatedOptions<SimulatorOptions>(SimulatorOptions.Section), (key, value), ("Simulator:DeviceTokenSeed", "seed-from-the-apphost-0123456789"), ("Simulator:DeviceIds:0", "00000000-0000-4000-8000-000000000001")));
    }
}
