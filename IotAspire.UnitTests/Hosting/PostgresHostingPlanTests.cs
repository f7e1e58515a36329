using IotAspire.Hosting.LocalPostgres;

namespace IotAspire.UnitTests.Hosting;

public sealed class PostgresHostingPlanTests
{
    private static readonly ContainerRuntimeStatus DockerRunning = new("docker", true, "docker 28.2.2");
    private static readonly ContainerRuntimeStatus NoDaemon = new("docker", false, "Cannot connect to the Docker daemon");
    private static readonly LocalPostgresBinaries Binaries = new("/usr/lib/postgresql/15/bin", 15);

    [Fact]
    public void Auto_prefers_a_container_runtime_that_answers()
    {
        var plan = PostgresHostingPlan.Choose(PostgresMode.Auto, () => DockerRunning, () => Binaries);

        Assert.Equal(PostgresMode.Container, plan.Mode);
        Assert.True(plan.UsesContainers);
    }

    [Fact]
    public void Auto_falls_back_to_local_binaries_and_says_why()
    {
        var plan = PostgresHostingPlan.Choose(PostgresMode.Auto, () => NoDaemon, () => Binaries);

        Assert.Equal(PostgresMode.Local, plan.Mode);
        Assert.Same(Binaries, plan.Binaries);
        Assert.Contains("Cannot connect to the Docker daemon", plan.Reason);
    }

    [Fact]
    public void Auto_with_neither_fails_at_once_naming_both_ways_out()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => PostgresHostingPlan.Choose(PostgresMode.Auto, () => NoDaemon, () => null));

        Assert.Contains("start Docker or Podman", error.Message);
        Assert.Contains("apt-get install postgresql-15", error.Message);
    }

    [Fact]
    public void Local_mode_skips_the_container_probe()
    {
        var plan = PostgresHostingPlan.Choose(PostgresMode.Local,
            () => throw new InvalidOperationException("must not probe"), () => Binaries);

        Assert.Equal(PostgresMode.Local, plan.Mode);
    }

    [Fact]
    public void Container_mode_is_taken_as_asked()
    {
        var plan = PostgresHostingPlan.Choose(PostgresMode.Container,
            () => throw new InvalidOperationException("must not probe"), () => null);

        Assert.Equal(PostgresMode.Container, plan.Mode);
    }

    [Fact]
    public void Local_mode_without_binaries_names_the_setting_that_points_at_them()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => PostgresHostingPlan.Choose(PostgresMode.Local, () => DockerRunning, () => null));

        Assert.Contains("Postgres:BinDirectory", error.Message);
    }

    [Fact]
    public void Finds_the_installed_server_binaries_and_their_major_version()
    {
        var found = LocalPostgresBinaries.Find(configuredBinDirectory: null, pathVariable: "/usr/bin:/bin");

        Assert.NotNull(found);
        Assert.True(File.Exists(Path.Combine(found.BinDirectory, "initdb")));
        Assert.True(found.MajorVersion >= 14, $"found PostgreSQL {found.MajorVersion} in {found.BinDirectory}");
    }

    [Fact]
    public void A_configured_folder_without_a_server_is_not_taken()
    {
        Assert.Null(LocalPostgresBinaries.Find(configuredBinDirectory: Path.GetTempPath(), pathVariable: null));
    }
}
