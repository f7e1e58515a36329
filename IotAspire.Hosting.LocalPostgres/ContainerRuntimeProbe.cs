using System.ComponentModel;
using System.Diagnostics;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>The answer of <c>docker info</c> (or <c>podman info</c>): whether containers can run here.</summary>
public sealed record ContainerRuntimeStatus(string Runtime, bool IsAvailable, string Detail);

/// <summary>
/// Asks the container runtime whether it runs, before the app model is built. Aspire checks the runtime
/// itself only after <c>Build()</c>, too late to choose another PostgreSQL: a container resource with no
/// runtime never starts, and everything that waits for it waits forever.
/// </summary>
public static class ContainerRuntimeProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <param name="runtime">"docker" or "podman": Aspire's <c>ASPIRE_CONTAINER_RUNTIME</c> setting.</param>
    public static ContainerRuntimeStatus Probe(string runtime)
    {
        var info = new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        try
        {
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return new(runtime, false, $"'{runtime} info' did not answer within {Timeout.TotalSeconds:0} s");
            }

            return process.ExitCode == 0
                ? new(runtime, true, $"{runtime} {stdout.Result.Trim()}")
                : new(runtime, false, FirstLine(stderr.Result) ?? $"'{runtime} info' exited with {process.ExitCode}");
        }
        catch (Win32Exception)
        {
            return new(runtime, false, $"'{runtime}' is not installed");
        }
    }

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
