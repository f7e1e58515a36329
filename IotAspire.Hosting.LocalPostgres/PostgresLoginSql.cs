using System.Globalization;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>
/// The statements the superuser runs, in the login's database, to create or bring in line a login role.
/// Every statement is idempotent: they run on every start, so a changed password parameter, a role altered by
/// hand or a database made by an older version (when everything belonged to the superuser) is put right.
/// </summary>
public static partial class PostgresLoginSql
{
    /// <summary>Role names go into SQL text unquoted (roles cannot be bound as parameters): only plain names pass.</summary>
    public static string CheckedRoleName(string roleName) =>
        PlainIdentifier().IsMatch(roleName)
            ? roleName
            : throw new ArgumentException($"The role name '{roleName}' must be lower-case letters, digits and underscores, starting with a letter.", nameof(roleName));

    /// <param name="roleName">The login role, made if missing.</param>
    /// <param name="databaseName">The database it owns or reads; the statements run in it.</param>
    /// <param name="access">Owner or reader.</param>
    /// <param name="statementTimeout">A role setting when given; otherwise the server's default applies.</param>
    /// <param name="scramVerifier">
    /// The password as a SCRAM verifier (<see cref="PostgresPassword"/>), so the password itself is never in
    /// the SQL text, nor in a trace or statement log.
    /// </param>
    public static string Provision(string roleName, string databaseName, PostgresLoginAccess access, TimeSpan? statementTimeout, string scramVerifier)
    {
        var role = CheckedRoleName(roleName);
        var database = QuotedIdentifier(databaseName);
        var timeout = statementTimeout is { } limit
            ? string.Create(CultureInfo.InvariantCulture, $"ALTER ROLE {role} SET statement_timeout = '{limit.TotalMilliseconds:0}ms';")
            : $"ALTER ROLE {role} RESET statement_timeout;";
        var common = $"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE {role};
                END IF;
            END $$;
            ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{scramVerifier}';
            {timeout}
            """;

        return access switch
        {
            PostgresLoginAccess.Owner => common + $"""

                ALTER DATABASE {database} OWNER TO {role};
                -- Only named roles connect: the owner, the roles granted CONNECT, and the superuser.
                REVOKE ALL ON DATABASE {database} FROM PUBLIC;
                ALTER SCHEMA public OWNER TO {role};
                -- Tables, views and free-standing sequences an older version made as the superuser. Indexes and
                -- the sequences of serial and identity columns follow their table (and refuse to be moved alone).
                DO $$ DECLARE relation regclass; BEGIN
                    FOR relation IN
                        SELECT c.oid::regclass FROM pg_class c
                        WHERE c.relnamespace = 'public'::regnamespace
                          AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                          AND c.relowner <> '{role}'::regrole
                          AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d
                                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
                    LOOP
                        EXECUTE format('ALTER TABLE %s OWNER TO {role}', relation);
                    END LOOP;
                END $$;
                """,
            PostgresLoginAccess.Reader => common + $"""

                GRANT CONNECT ON DATABASE {database} TO {role};
                GRANT USAGE ON SCHEMA public TO {role};
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(access), access, "Unknown access."),
        };
    }

    private static string QuotedIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex PlainIdentifier();
}
