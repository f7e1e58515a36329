using Microsoft.AspNetCore.Identity;

namespace IotAspire.Auth.Accounts;

public static class AccountsServiceExtensions
{
    /// <summary>Accounts and passwords: the credential check, its sign-in throttling and rate limit (settings checked at start).</summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<LoginThrottlingOptions>(LoginThrottlingOptions.Section);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IPasswordHasher<UserAccount>, PasswordHasher<UserAccount>>();
        builder.Services.AddScoped<LoginThrottling>();
        builder.Services.AddScoped<CredentialCheck>();
        builder.Services.AddHostedService<LoginThrottlePurge>();
        builder.AddSignInRateLimit();
        return builder;
    }
}
