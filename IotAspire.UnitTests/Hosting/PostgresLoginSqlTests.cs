using Aspire.Hosting.ApplicationModel;
using IotAspire.Hosting.LocalPostgres;

namespace IotAspire.UnitTests.Hosting;

public sealed class PostgresLoginSqlTests
{
    [Theory]
    [InlineData("iotaspire_api")]
    [InlineData("grafana_reader")]
    [InlineData("a")]
    public void Plain_role_names_pass(string roleName) => Assert.Equal(roleName, PostgresLoginSql.CheckedRoleName(roleName));

    [Theory]
    [InlineData("")]
    [InlineData("Api")]                          // would need quoting to keep its case
    [InlineData("1role")]
    [InlineData("api; DROP DATABASE readings")]
    [InlineData("api\" SUPERUSER --")]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789xyzw")]   // 64 characters: PostgreSQL would truncate it
    public void Anything_that_would_need_quoting_is_refused_with_the_rule(string roleName)
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresLoginSql.CheckedRoleName(roleName));

        Assert.Contains("lower-case letters, digits and underscores", error.Message);
    }

    [Fact]
    public void A_reader_gets_connect_and_schema_usage_but_never_ownership()
    {
        var sql = PostgresLoginSql.Provision("reader", "readings", PostgresLoginAccess.Reader, TimeSpan.FromSeconds(20), "SCRAM-SHA-256$verifier");

        Assert.Contains("GRANT CONNECT ON DATABASE \"readings\" TO reader;", sql);
        Assert.Contains("SET statement_timeout = '20000ms'", sql);
        Assert.DoesNotContain("OWNER", sql);
    }

    [Fact]
    public void The_password_travels_only_as_its_verifier()
    {
        var verifier = PostgresPassword.ScramVerifier("Plain-Secret-1");

        var sql = PostgresLoginSql.Provision("owner", "accounts", PostgresLoginAccess.Owner, null, verifier);

        Assert.Contains($"PASSWORD '{verifier}'", sql);
        Assert.DoesNotContain("Plain-Secret-1", sql);
        Assert.StartsWith("SCRAM-SHA-256$4096:", verifier);
    }
}
