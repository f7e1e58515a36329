using IotAspire.Shared.Security;
using Microsoft.Extensions.Options;

namespace IotAspire.Auth.Users;

/// <summary>
/// The accounts the AppHost asks for, made at start-up after the migrations (hosted services start in
/// registration order) and before requests:
/// <list type="bullet">
/// <item>the first administrator, created when no user of that name exists; an existing one is left alone,
/// so a password changed later on the admin page is not reset by the next restart;</item>
/// <item>the device simulator's demo customer, when the AppHost runs the simulator: created, or brought in
/// line (active, a customer of its customer id, the <c>simulator-password</c> parameter as its password) on
/// every start. So the simulator never needs the administrator's password, and an account left from an
/// older version with its once-published password does not keep that password.</item>
/// </list>
/// </summary>
public sealed class AccountBootstrap(IServiceScopeFactory scopes, IOptions<BootstrapOptions> options, ILogger<AccountBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var directory = scope.ServiceProvider.GetRequiredService<UserDirectory>();
        await EnsureAdministratorAsync(directory, options.Value, cancellationToken);
        await EnsureDemoCustomerAsync(directory, options.Value, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task EnsureAdministratorAsync(UserDirectory directory, BootstrapOptions settings, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(settings.AdminPassword))
        {
            logger.LogWarning("Bootstrap:AdminPassword is not set: no administrator is created");
            return;
        }

        if (await directory.FindAsync(settings.AdminUsername, ct) is not null)
        {
            logger.LogInformation("Administrator '{UserName}' exists", settings.AdminUsername);
            return;
        }

        Check(await directory.CreateAsync(new CreateUserRequest(settings.AdminUsername, settings.AdminPassword, null, IotRoles.Admin), ct),
            "The first administrator cannot be created from the AppHost's admin-username/admin-password parameters");
        logger.LogInformation("Created administrator '{UserName}'", settings.AdminUsername);
    }

    private async Task EnsureDemoCustomerAsync(UserDirectory directory, BootstrapOptions settings, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(settings.DemoCustomerPassword) || settings.DemoCustomerId is not { } customerId)
        {
            return;
        }

        const string why = "The simulator's demo customer cannot be provisioned from the AppHost's simulator-password parameter";
        if (await directory.FindAsync(settings.DemoCustomerUsername, ct) is null)
        {
            Check(await directory.CreateAsync(
                new CreateUserRequest(settings.DemoCustomerUsername, settings.DemoCustomerPassword, customerId, IotRoles.Customer), ct), why);
            logger.LogInformation("Created the demo customer '{UserName}'", settings.DemoCustomerUsername);
            return;
        }

        Check(await directory.UpdateAsync(settings.DemoCustomerUsername,
            new UpdateUserRequest(IsActive: true, Password: settings.DemoCustomerPassword, CustomerId: customerId, Role: IotRoles.Customer), ct), why);
        logger.LogInformation("The demo customer '{UserName}' has the simulator-password parameter as its password", settings.DemoCustomerUsername);
    }

    private static void Check(UserChangeResult result, string what)
    {
        if (result is UserChangeResult.Invalid(var errors))
        {
            throw new InvalidOperationException($"{what}: {string.Join(" ", errors.SelectMany(e => e.Value))}");
        }
    }
}
