namespace Aspire.Hosting.ApplicationModel;

/// <summary>What a <see cref="PostgresLoginResource"/> may do in its database.</summary>
public enum PostgresLoginAccess
{
    /// <summary>Owns the database and everything in its <c>public</c> schema: a service that migrates its own schema.</summary>
    Owner,

    /// <summary>May connect and use the <c>public</c> schema; the owner grants it the tables it may read.</summary>
    Reader,
}

/// <summary>
/// A PostgreSQL login role for one database, so that a service connects as itself and not as the superuser.
/// The role is created (or brought in line: password, attributes, ownership) by the superuser when the
/// database is ready; the connection string is the role's own, and the resource is healthy once the role
/// can connect with it.
/// </summary>
public sealed class PostgresLoginResource(
    string name, IResourceWithConnectionString database, string databaseName, EndpointReference server,
    string roleName, ParameterResource password, PostgresLoginAccess access, TimeSpan? statementTimeout)
    : Resource(name), IResourceWithConnectionString, IResourceWithParent<IResourceWithConnectionString>
{
    /// <summary>The database, whose connection string (the superuser's) creates the role.</summary>
    public IResourceWithConnectionString Parent { get; } = database;

    public string DatabaseName { get; } = databaseName;

    public string RoleName { get; } = roleName;

    public ParameterResource Password { get; } = password;

    public PostgresLoginAccess Access { get; } = access;

    /// <summary>A role setting, so it holds for every session of the role, whatever the client asks.</summary>
    public TimeSpan? StatementTimeout { get; } = statementTimeout;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={server.Property(EndpointProperty.Host)};Port={server.Property(EndpointProperty.Port)};Username={RoleName};Password={Password};Database={DatabaseName}");
}
