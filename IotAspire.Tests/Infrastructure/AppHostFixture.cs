namespace IotAspire.Tests.Infrastructure;

/// <summary>One AppHost for the whole test run: start-up and teardown each take seconds.</summary>
public class AppHostFixture : IAsyncLifetime
{
    /// <summary>AppHost settings on top of the tests' own (<see cref="CitusAppHostFixture"/> asks for a Citus cluster).</summary>
    protected virtual IReadOnlyList<string> Settings => [];

    private RunningAppHost? running;

    public RunningAppHost AppHost => running ?? throw new InvalidOperationException("The AppHost has not started.");

    public async Task InitializeAsync() =>
        running = await RunningAppHost.StartAsync(RunningAppHost.NewDataDirectory(), Settings, ResourceNames.Auth, ResourceNames.Api);

    public async Task DisposeAsync()
    {
        if (running is not null)
        {
            await running.DisposeAsync();
            await RunningAppHost.DeleteDataAsync(running.DataDirectory);
        }
    }
}

/// <summary>The same AppHost, a second one, for <see cref="SecondAppHostCollection"/>.</summary>
public sealed class SecondAppHostFixture : AppHostFixture;

/// <summary>
/// The same AppHost on a local Citus cluster: a coordinator and two workers (Scaling/), and two API replicas behind
/// the API's port, as a scaled-out installation runs (live updates reach both through the coordinator).
/// </summary>
public sealed class CitusAppHostFixture : AppHostFixture
{
    public const int Workers = 2;
    public const int ApiReplicas = 2;

    protected override IReadOnlyList<string> Settings => ["Postgres:Mode=citus", $"Postgres:CitusWorkers={Workers}", $"Api:Replicas={ApiReplicas}", $"Auth:Replicas={ApiReplicas}",
        "Postgres:LogMultiShardStatements=true"];   // for CitusStatementRoutingTests
}
