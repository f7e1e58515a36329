using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IotAspire.Bench;

/// <summary>
/// The real AppHost, started through Aspire.Hosting.Testing as the tests start it: PostgreSQL from local
/// binaries (one server, or a Citus cluster), but in a data directory that outlives the run, so a generated data set is measured again
/// without generating it again. Passwords are fixed for the same reason (they are local to this directory).
/// </summary>
public sealed class BenchAppHost(DistributedApplication app) : IAsyncDisposable
{
    private const string AdminPassword = "Bench-Root-Pw-42";
    private const string GrafanaReaderPassword = "Bench-Grafana-Reader-7";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    public static async Task<(BenchAppHost AppHost, BenchTarget Target)> StartAsync(
        string dataDirectory, string postgresMode, IReadOnlyList<(string Key, string Value)> apiSettings, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(StartTimeout);
        try
        {
            return await StartWithinAsync(dataDirectory, postgresMode, apiSettings, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"The system did not become healthy within {StartTimeout.TotalMinutes} minutes; the log above says which resource failed.");
        }
    }

    private static async Task<(BenchAppHost AppHost, BenchTarget Target)> StartWithinAsync(
        string dataDirectory, string postgresMode, IReadOnlyList<(string Key, string Value)> apiSettings, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDirectory);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.IotAspire_AppHost>(
            [$"Postgres:Mode={postgresMode}", $"Postgres:DataDirectory={dataDirectory}", $"Auth:KeyRingDirectory={dataDirectory.TrimEnd('/')}-auth-keys",
             "Parameters:postgres-password=Bench-Postgres-Pw-42", "Parameters:api-db-login-password=Bench-Api-Pw-42",
             "Parameters:auth-db-login-password=Bench-Auth-Pw-42", $"Parameters:grafana-db-password={GrafanaReaderPassword}",
             $"Parameters:admin-password={AdminPassword}", "Simulator:Enabled=false"],
            ct);
        // Warnings and errors of every resource reach the console, so a failed start says why; the health
        // checks' failures while PostgreSQL starts and stops are expected, and only noise here.
        builder.Services.AddLogging(logging => logging
            .AddSimpleConsole(console => console.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));

        var api = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.Api));
        foreach (var (key, value) in apiSettings)
        {
            api.WithEnvironment(key, value);
        }

        var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct);
        foreach (var resource in new[] { ResourceNames.Auth, ResourceNames.Api })
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, ct);
        }

        var readings = await app.GetConnectionStringAsync(ResourceNames.ReadingsDatabase, ct)
            ?? throw new InvalidOperationException("The AppHost gave no readings connection string.");
        var target = new BenchTarget(
            app.GetEndpoint(ResourceNames.Api, "http"), app.GetEndpoint(ResourceNames.Auth, "http"), "admin", AdminPassword,
            readings, AsGrafanaReader(readings, GrafanaReaderPassword), app.GetEndpoint(ResourceNames.Api, "mqtt"));
        return (new BenchAppHost(app), target);
    }

    /// <summary>The readings database as Grafana's read-only role, which the AppHost makes with this password.</summary>
    public static string AsGrafanaReader(string readingsConnectionString, string password) =>
        new Npgsql.NpgsqlConnectionStringBuilder(readingsConnectionString) { Username = DatabaseRoles.GrafanaReader, Password = password }.ConnectionString;

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
