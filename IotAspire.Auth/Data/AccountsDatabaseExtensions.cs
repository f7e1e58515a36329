using IotAspire.Shared.Data;

namespace IotAspire.Auth.Data;

public static class AccountsDatabaseExtensions
{
    /// <summary>The token service's own database, migrated before the service takes requests.</summary>
    public static IHostApplicationBuilder AddAccountsDatabase(this IHostApplicationBuilder builder, string connectionName) =>
        builder.AddMigratedNpgsqlDbContext<AccountsDbContext>(connectionName);
}

internal sealed class AccountsDesignTimeFactory : DesignTimeDbContextFactory<AccountsDbContext>;
