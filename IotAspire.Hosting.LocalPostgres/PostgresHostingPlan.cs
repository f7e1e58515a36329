using Microsoft.Extensions.Configuration;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>
/// The decision, made before the app model is built, of where PostgreSQL runs: in a container, or from
/// this machine's server binaries. <see cref="Reason"/> is logged at start so nobody has to guess.
/// </summary>
public sealed record PostgresHostingPlan(PostgresMode Mode, string Reason, LocalPostgresBinaries? Binaries)
{
    public bool UsesContainers => Mode == PostgresMode.Container;

    public static PostgresHostingPlan FromConfiguration(IConfiguration configuration)
    {
        var requested = ParseMode(configuration["Postgres:Mode"]);
        var binDirectory = configuration["Postgres:BinDirectory"];
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";

        return Choose(
            requested,
            probeContainerRuntime: () => ContainerRuntimeProbe.Probe(runtime),
            findBinaries: () => LocalPostgresBinaries.Find(binDirectory, Environment.GetEnvironmentVariable("PATH")),
            searchedPlaces: LocalPostgresBinaries.SearchedPlaces(binDirectory));
    }

    /// <summary>The rule itself, with the machine's answers passed in so that tests can play every machine.</summary>
    public static PostgresHostingPlan Choose(
        PostgresMode requested,
        Func<ContainerRuntimeStatus> probeContainerRuntime,
        Func<LocalPostgresBinaries?> findBinaries,
        string searchedPlaces = "PATH")
    {
        switch (requested)
        {
            case PostgresMode.Container:
                return new(PostgresMode.Container, "Postgres:Mode is 'container'", null);

            case PostgresMode.Local:
                var binaries = findBinaries() ?? throw new InvalidOperationException(
                    $"Postgres:Mode is 'local', but no PostgreSQL server binaries were found (searched {searchedPlaces}). "
                    + $"{InstallBinariesHint} Or set Postgres:BinDirectory to the folder that holds 'postgres' and 'initdb'.");
                return new(PostgresMode.Local, $"Postgres:Mode is 'local'; server binaries in {binaries.BinDirectory}", binaries);
        }

        var runtime = probeContainerRuntime();
        if (runtime.IsAvailable)
        {
            return new(PostgresMode.Container, $"container runtime answered ({runtime.Detail})", null);
        }

        var found = findBinaries() ?? throw new InvalidOperationException(
            $"PostgreSQL cannot start: no container runtime answered ({runtime.Detail}) and no PostgreSQL server binaries "
            + $"were found (searched {searchedPlaces}). Either start Docker or Podman, or install "
            + $"the server binaries: {InstallBinariesHint}");
        return new(PostgresMode.Local,
            $"no container runtime answered ({runtime.Detail}); using local server binaries in {found.BinDirectory}", found);
    }

    private const string InstallBinariesHint = "On Debian or Ubuntu: sudo apt-get install postgresql-15 (PostgreSQL 14 or later works).";

    private static PostgresMode ParseMode(string? value) =>
        string.IsNullOrWhiteSpace(value) ? PostgresMode.Auto
        : Enum.TryParse<PostgresMode>(value, ignoreCase: true, out var mode) && Enum.IsDefined(mode) ? mode
        : throw new InvalidOperationException($"Postgres:Mode is '{value}'; use 'auto', 'container' or 'local'.");
}
