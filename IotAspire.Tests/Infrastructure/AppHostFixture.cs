namespace IotAspire.Tests.Infrastructure;

/// <summary>One AppHost for the whole test run: start-up and teardown each take seconds.</summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    private RunningAppHost? running;

    public RunningAppHost AppHost => running ?? throw new InvalidOperationException("The AppHost has not started.");

    public async Task InitializeAsync() =>
        running = await RunningAppHost.StartAsync(RunningAppHost.NewDataDirectory(), ResourceNames.Auth, ResourceNames.Api);

    public async Task DisposeAsync()
    {
        if (running is not null)
        {
            await running.DisposeAsync();
            await RunningAppHost.DeleteDataAsync(running.DataDirectory);
        }
    }
}
