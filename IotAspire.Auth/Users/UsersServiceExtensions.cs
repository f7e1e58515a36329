namespace IotAspire.Auth.Users;

public static class UsersServiceExtensions
{
    /// <summary>
    /// User management, and the first administrator made at start. Register it after the database: hosted
    /// services start in order, and the administrator needs the migrated tables.
    /// </summary>
    public static IHostApplicationBuilder AddUsers(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<BootstrapOptions>(BootstrapOptions.Section);
        builder.Services.AddScoped<UserDirectory>();
        builder.Services.AddHostedService<AccountBootstrap>();
        return builder;
    }
}
