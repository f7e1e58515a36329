using IotAspire.Hosting.LocalPostgres;

namespace IotAspire.UnitTests.Hosting;

public sealed class CitusTopologyTests
{
    private static readonly LocalPostgresBinaries Binaries = new("/usr/lib/postgresql/15/bin", 15);

    private static PostgresHostingPlan LocalPlan => new(PostgresMode.Local, "binaries found", Binaries);

    [Theory]
    [InlineData(null, 2)]
    [InlineData("", 2)]
    [InlineData("1", 1)]
    [InlineData("16", 16)]
    public void Workers_default_to_two_and_take_one_to_sixteen(string? configured, int expected) =>
        Assert.Equal(expected, CitusTopology.ParseWorkers(configured));

    [Theory]
    [InlineData("0")]
    [InlineData("17")]
    [InlineData("-1")]
    [InlineData("two")]
    public void Other_worker_counts_are_refused_naming_the_setting_and_its_range(string configured)
    {
        var error = Assert.Throws<InvalidOperationException>(() => CitusTopology.ParseWorkers(configured));
        Assert.Contains("Postgres:CitusWorkers", error.Message);
        Assert.Contains("1 to 16", error.Message);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("true", true)]
    [InlineData("False", false)]
    public void Multi_shard_statement_logging_is_off_unless_set(string? configured, bool expected) =>
        Assert.Equal(expected, CitusTopology.ParseLogMultiShardStatements(configured));

    [Fact]
    public void Multi_shard_statement_logging_refuses_what_is_not_a_boolean()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CitusTopology.ParseLogMultiShardStatements("yes"));
        Assert.Contains("Postgres:LogMultiShardStatements must be true or false", error.Message);
    }

    [Fact]
    public void A_citus_plan_carries_the_configured_logging_and_names_the_cluster_in_its_reason()
    {
        var plan = LocalPlan.WithCitus(3, _ => true, logMultiShardStatements: true);

        Assert.Equal(new CitusTopology(3, LogMultiShardStatements: true), plan.Citus);
        Assert.StartsWith("Postgres:Mode is 'citus', a coordinator and 3 workers", plan.Reason);
    }

    [Fact]
    public void Local_binaries_without_citus_are_refused_naming_the_install_script()
    {
        var error = Assert.Throws<InvalidOperationException>(() => LocalPlan.WithCitus(2, _ => false));
        Assert.Contains("scripts/install-citus.sh", error.Message);
    }
}
