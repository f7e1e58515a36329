using IotAspire.Auth.Tokens;
using IotAspire.Auth.Users;
using Microsoft.AspNetCore.Identity;

namespace IotAspire.Auth.Accounts;

public static class AccountServicesExtensions
{
    /// <summary>Users, passwords, sign-in throttling, tokens and keys, with their settings.</summary>
    public static IHostApplicationBuilder AddAccountServices(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<TokenSettings>(builder.Configuration.GetSection("Tokens"));
        builder.Services.Configure<LoginThrottlingOptions>(builder.Configuration.GetSection("LoginThrottling"));
        builder.Services.Configure<BootstrapOptions>(builder.Configuration.GetSection("Bootstrap"));

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IPasswordHasher<UserAccount>, PasswordHasher<UserAccount>>();
        builder.Services.AddSingleton<SigningKeyStore>();
        builder.Services.AddScoped<LoginThrottling>();
        builder.Services.AddScoped<CredentialCheck>();
        builder.Services.AddScoped<RefreshTokens>();
        builder.Services.AddScoped<TokenIssuer>();
        builder.Services.AddScoped<UserDirectory>();
        builder.Services.AddHostedService<AdminBootstrap>();
        return builder;
    }
}
