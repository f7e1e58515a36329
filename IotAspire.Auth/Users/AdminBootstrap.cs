using IotAspire.Shared.Security;
using Microsoft.Extensions.Options;

namespace IotAspire.Auth.Users;

/// <summary>
/// Creates the first administrator at start-up when no user of that name exists. An existing account is
/// left alone, so a password changed later on the admin page is not reset by the next restart.
/// Runs after the migrations (hosted services start in registration order) and before requests.
/// </summary>
public sealed class AdminBootstrap(IServiceScopeFactory scopes, IOptions<BootstrapOptions> options, ILogger<AdminBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (userName, password) = (options.Value.AdminUsername, options.Value.AdminPassword);
        if (string.IsNullOrEmpty(password))
        {
            logger.LogWarning("Bootstrap:AdminPassword is not set: no administrator is created");
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var directory = scope.ServiceProvider.GetRequiredService<UserDirectory>();
        if (await directory.FindAsync(userName, cancellationToken) is not null)
        {
            logger.LogInformation("Administrator '{UserName}' exists", userName);
            return;
        }

        var result = await directory.CreateAsync(new CreateUserRequest(userName, password, null, IotRoles.Admin), cancellationToken);
        if (result is UserChangeResult.Invalid(var errors))
        {
            throw new InvalidOperationException(
                $"The first administrator cannot be created from the AppHost's admin-username/admin-password parameters: "
                + string.Join(" ", errors.SelectMany(e => e.Value)));
        }

        logger.LogInformation("Created administrator '{UserName}'", userName);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
