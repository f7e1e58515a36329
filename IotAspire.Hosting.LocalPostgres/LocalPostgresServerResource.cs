namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A PostgreSQL server run from local binaries by <c>run-local-postgres.sh</c>. It is a connection-string
/// resource like Aspire's container, so services reference it and <c>WaitFor</c> it the same way.
/// </summary>
public sealed class LocalPostgresServerResource(string name, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command: "bash", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string SuperUser = "postgres";

    public EndpointReference PrimaryEndpoint => field ??= new(this, EndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>
    /// No database named: Npgsql then connects to the one named like the user, <c>postgres</c>, which every
    /// server has; the health check and database creation use it.
    /// </summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={SuperUser};Password={PasswordParameter}");
}
