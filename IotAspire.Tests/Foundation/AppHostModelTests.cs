using Microsoft.Extensions.DependencyInjection;

namespace IotAspire.Tests.Foundation;

/// <summary>
/// What the AppHost hands each resource, read from the app model without starting it (as the publish
/// manifest would show it: parameters and endpoints as references, which need nothing running).
/// </summary>
public sealed class AppHostModelTests
{
    private static async Task<Dictionary<string, string>> EnvironmentOfAsync(DistributedApplication app, string resourceName)
    {
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var resource = (IResourceWithEnvironment)model.Resources.Single(r => r.Name == resourceName);
        // Obsolete in favour of an execution-configuration builder, but still the one-line way to read what a
        // resource would get; a test-only use.
#pragma warning disable CS0618
        return await resource.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
    }

    /// <summary>
    /// The app model, built and never started. Disposing such an app waited out the host's shutdown timeout (30 s)
    /// whenever another had been built in the process before: nothing runs, so it may stop at once.
    /// </summary>
    private static async Task<DistributedApplication> BuildModelAsync(string[] args, CancellationToken ct)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.IotAspire_AppHost>(args, ct);
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        return await builder.BuildAsync(ct);
    }

    [Fact]
    public async Task The_simulator_sends_with_device_tokens_from_its_own_seed_and_holds_no_password()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var app = await BuildModelAsync(
            ["Postgres:Mode=local", "Simulator:Enabled=true", "Simulator:DeviceCount=3", "Parameters:admin-password=Test-Root-Pw-42"], timeout.Token);

        var simulator = await EnvironmentOfAsync(app, ResourceNames.Simulator);
        var api = await EnvironmentOfAsync(app, ResourceNames.Api);
        var auth = await EnvironmentOfAsync(app, ResourceNames.Auth);

        // The API and the simulator get the same seed and the same devices; the simulator nothing else secret.
        Assert.Equal("{simulator-device-token-seed.value}", simulator["Simulator__DeviceTokenSeed"]);
        Assert.Equal("{simulator-device-token-seed.value}", api["Bootstrap__DeviceTokens__Seed"]);
        var devices = Enumerable.Range(0, 3).Select(i => simulator[$"Simulator__DeviceIds__{i}"]).ToList();
        Assert.Equal(devices, Enumerable.Range(0, 3).Select(i => api[$"Bootstrap__DeviceTokens__DeviceIds__{i}"]));
        Assert.Equal(3, devices.Distinct().Count());
        Assert.Equal(auth["Bootstrap__DemoCustomerId"], api["Bootstrap__DeviceTokens__CustomerId"]);
        Assert.DoesNotContain(simulator, variable => variable.Key.Contains("Password", StringComparison.OrdinalIgnoreCase)
            || variable.Key.Contains("Admin", StringComparison.OrdinalIgnoreCase)
            || variable.Value.Contains("password", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("{simulator-password.value}", auth["Bootstrap__DemoCustomerPassword"]);
    }

    [Fact]
    public async Task Each_service_gets_its_own_login_and_never_the_superusers_password()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var app = await BuildModelAsync(["Postgres:Mode=local", "Simulator:Enabled=true", "Parameters:admin-password=Test-Root-Pw-42"], timeout.Token);

        var api = await EnvironmentOfAsync(app, ResourceNames.Api);
        var auth = await EnvironmentOfAsync(app, ResourceNames.Auth);
        var simulator = await EnvironmentOfAsync(app, ResourceNames.Simulator);

        Assert.Equal($"{{{ResourceNames.ApiDatabaseLogin}.connectionString}}", api["ConnectionStrings__" + ResourceNames.ReadingsDatabase]);
        Assert.Equal($"{{{ResourceNames.AuthDatabaseLogin}.connectionString}}", auth["ConnectionStrings__" + ResourceNames.AccountsDatabase]);
        Assert.All(api.Concat(auth).Concat(simulator), variable =>
        {
            Assert.DoesNotContain("postgres-password", variable.Value, StringComparison.Ordinal);
            Assert.DoesNotContain($"{{{ResourceNames.ReadingsDatabase}.connectionString}}", variable.Value, StringComparison.Ordinal);
            Assert.DoesNotContain($"{{{ResourceNames.AccountsDatabase}.connectionString}}", variable.Value, StringComparison.Ordinal);
        });
    }
}
