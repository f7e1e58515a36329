using IotAspire.Hosting.LocalPostgres;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Foundation;

/// <summary>
/// Least privilege in PostgreSQL: each service connects as an ordinary role that owns its own database and
/// cannot reach the other's; the superuser is used only by the AppHost, to create roles and databases.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class DatabaseRolesTests(AppHostFixture fixture)
{
    public static TheoryData<string, string, string> ServiceLogins() => new()
    {
        { ResourceNames.ApiDatabaseLogin, DatabaseRoles.Api, ResourceNames.ReadingsDatabase },
        { ResourceNames.AuthDatabaseLogin, DatabaseRoles.Auth, ResourceNames.AccountsDatabase },
    };

    [Theory]
    [MemberData(nameof(ServiceLogins))]
    public async Task Each_service_logs_in_as_an_ordinary_role_that_owns_everything_in_its_database(string login, string role, string database)
    {
        await using var asService = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(login));

        var (user, superuser, createRole, createDb, currentDatabase) = Assert.Single(await Sql.ListAsync(asService,
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, current_database() FROM pg_roles WHERE rolname = current_user",
            r => (r.GetString(0), r.GetBoolean(1), r.GetBoolean(2), r.GetBoolean(3), r.GetString(4))));
        Assert.Equal((role, false, false, false, database), (user, superuser, createRole, createDb, currentDatabase));

        // The service migrated its schema itself, so every table, index and sequence is its role's.
        var owners = await Sql.ListAsync(asService,
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace", r => r.GetString(0));
        Assert.Equal([role], owners);
        var tables = await Sql.ListAsync(asService, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", r => r.GetInt64(0));
        Assert.True(tables.Single() >= 2, "the service's tables are missing");
    }

    [Theory]
    [InlineData(ResourceNames.ApiDatabaseLogin, ResourceNames.AccountsDatabase)]
    [InlineData(ResourceNames.AuthDatabaseLogin, ResourceNames.ReadingsDatabase)]
    public async Task A_service_cannot_connect_to_the_other_services_database(string login, string otherDatabase)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await fixture.AppHost.ConnectionStringAsync(login))
        {
            Database = otherDatabase,
            Pooling = false,
        }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);

        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task A_role_cannot_make_itself_or_others_more_powerful()
    {
        await using var asApi = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ApiDatabaseLogin));

        foreach (var sql in new[]
        {
            $"ALTER ROLE {DatabaseRoles.Api} SUPERUSER",
            "CREATE ROLE intruder LOGIN PASSWORD 'x'",
            "CREATE DATABASE intruder",
            $"ALTER ROLE {DatabaseRoles.GrafanaReader} PASSWORD 'x'",
        })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(asApi, sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
    }

    /// <summary>
    /// An installation from before the service roles: its database and tables belong to the superuser. The
    /// provisioning statements hand all of it to the new owner, which can then log in with its password and
    /// write through serial and identity columns.
    /// </summary>
    [Fact]
    public async Task Provisioning_hands_a_database_made_by_the_superuser_to_its_new_owner()
    {
        var superuser = await fixture.AppHost.ConnectionStringAsync(ResourceNames.Postgres);
        var database = "upgrade_" + Guid.NewGuid().ToString("N")[..12];
        var role = "owner_" + Guid.NewGuid().ToString("N")[..12];
        const string password = "Test-Owner-Pw-9";
        await using var server = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(superuser) { Pooling = false }.ConnectionString);
        await Sql.ExecuteAsync(server, $"CREATE DATABASE {database}");
        try
        {
            var asSuperuserInDatabase = new NpgsqlConnectionStringBuilder(superuser) { Database = database, Pooling = false }.ConnectionString;
            await using (var legacy = NpgsqlDataSource.Create(asSuperuserInDatabase))
            {
                await Sql.ExecuteAsync(legacy, """
                    CREATE TABLE old_serial (id serial PRIMARY KEY, note text);
                    CREATE TABLE old_identity (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
                    CREATE SEQUENCE old_free_sequence;
                    CREATE VIEW old_view AS SELECT id FROM old_serial;
                    """);

                await Sql.ExecuteAsync(legacy, PostgresLoginSql.Provision(role, database, PostgresLoginAccess.Owner, statementTimeout: null, PostgresPassword.ScramVerifier(password)));
            }

            var asOwner = new NpgsqlConnectionStringBuilder(superuser) { Database = database, Username = role, Password = password, Pooling = false }.ConnectionString;
            await using var owner = NpgsqlDataSource.Create(asOwner);
            var owners = await Sql.ListAsync(owner,
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace", r => r.GetString(0));
            Assert.Equal([role], owners);
            await Sql.ExecuteAsync(owner, "INSERT INTO old_serial (note) VALUES ('after'); INSERT INTO old_identity DEFAULT VALUES; SELECT nextval('old_free_sequence')");
            var superuserFlag = await Sql.ListAsync(owner, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", r => r.GetBoolean(0));
            Assert.Equal([false], superuserFlag);
        }
        finally
        {
            await Sql.ExecuteAsync(server, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            await Sql.ExecuteAsync(server, $"DROP ROLE IF EXISTS {role}");
        }
    }
}
