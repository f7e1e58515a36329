using Microsoft.Extensions.Configuration;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>
/// The decision, made before the app model is built, of where PostgreSQL runs: in a container, or from
/// this machine's server binaries; one server, or a Citus cluster (<see cref="Citus"/>). <see cref="Reason"/> is
/// logged at start so nobody has to guess.
/// </summary>
/// <param name="Mode"><see cref="PostgresMode.Container"/> or <see cref="PostgresMode.Local"/>: where the servers run.</param>
/// <param name="Reason">Why, in words, for the start-up log.</param>
/// <param name="Binaries">The local server binaries, when <paramref name="Mode"/> is local.</param>
/// <param name="Citus">The Citus cluster's shape, or null for a single server.</param>
public sealed record PostgresHostingPlan(PostgresMode Mode, string Reason, LocalPostgresBinaries? Binaries, CitusTopology? Citus = null)
{
    public bool UsesContainers => Mode == PostgresMode.Container;

    public static PostgresHostingPlan FromConfiguration(IConfiguration configuration)
    {
        var requested = ParseMode(configuration["Postgres:Mode"]);
        var binDirectory = configuration["Postgres:BinDirectory"];
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";

        var plan = Choose(
            requested is PostgresMode.Citus ? PostgresMode.Auto : requested,
            probeContainerRuntime: () => ContainerRuntimeProbe.Probe(runtime),
            findBinaries: () => LocalPostgresBinaries.Find(binDirectory, Environment.GetEnvironmentVariable("PATH")),
            searchedPlaces: LocalPostgresBinaries.SearchedPlaces(binDirectory));
        return requested is PostgresMode.Citus
            ? plan.WithCitus(CitusTopology.ParseWorkers(configuration["Postgres:CitusWorkers"]), binaries => CitusTopology.IsInstalledFor(binaries),
                CitusTopology.ParseLogMultiShardStatements(configuration["Postgres:LogMultiShardStatements"]))
            : plan;
    }

    /// <summary>
    /// This plan as a Citus cluster of <paramref name="workers"/> workers: in containers, the Citus image; from
    /// local binaries, only if Citus is installed beside them (<paramref name="citusInstalled"/>), else a clear
    /// error naming the way to install it.
    /// </summary>
    public PostgresHostingPlan WithCitus(int workers, Func<LocalPostgresBinaries, bool> citusInstalled, bool logMultiShardStatements = false)
    {
        if (!UsesContainers && !citusInstalled(Binaries!))
        {
            throw new InvalidOperationException(
                $"Postgres:Mode is 'citus', but Citus is not installed for the PostgreSQL {Binaries!.MajorVersion} binaries in {Binaries.BinDirectory} "
                + "(no citus.so in its library folder). Run 'sudo scripts/install-citus.sh' (builds it from the source release), "
                + $"or install the package postgresql-{Binaries.MajorVersion}-citus-13.2 from Citus's repository, or start Docker to use the Citus image.");
        }

        return this with
        {
            Citus = new CitusTopology(workers, logMultiShardStatements),
            Reason = $"Postgres:Mode is 'citus', a coordinator and {workers} worker{(workers == 1 ? "" : "s")}; {Reason}",
        };
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
        : throw new InvalidOperationException($"Postgres:Mode is '{value}'; use 'auto', 'container', 'local' or 'citus'.");
}
