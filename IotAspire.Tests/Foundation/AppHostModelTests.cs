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

    [Fact]
    public async Task The_simulator_signs_in_with_its_own_generated_password_and_never_receives_the_administrators()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.IotAspire_AppHost>(
            ["Postgres:Mode=local", "Simulator:Enabled=true", "Parameters:admin-password=Test-Root-Pw-42"],
            timeout.Token);
        await using var app = await builder.BuildAsync(timeout.Token);

        var simulator = await EnvironmentOfAsync(app, ResourceNames.Simulator);
        var auth = await EnvironmentOfAsync(app, ResourceNames.Auth);

        Assert.Equal("{simulator-password.value}", simulator["Simulator__Password"]);
        Assert.DoesNotContain(simulator, variable => variable.Key.Contains("Admin", StringComparison.OrdinalIgnoreCase)
            || variable.Value.Contains("admin-password", StringComparison.Ordinal));
        Assert.Equal("{simulator-password.value}", auth["Bootstrap__DemoCustomerPassword"]);
        Assert.Equal(simulator["Simulator__Username"], auth["Bootstrap__DemoCustomerUsername"]);
    }

    [Fact]
    public async Task Each_service_gets_its_own_login_and_never_the_superusers_password()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.IotAspire_AppHost>(
            ["Postgres:Mode=local", "Simulator:Enabled=true", "Parameters:admin-password=Test-Root-Pw-42"], timeout.Token);
        await using var app = await builder.BuildAsync(timeout.Token);

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
