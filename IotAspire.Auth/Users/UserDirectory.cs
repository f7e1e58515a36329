using System.Text.RegularExpressions;
using IotAspire.Auth.Accounts;
using IotAspire.Auth.Data;
using IotAspire.Auth.Tokens;
using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IotAspire.Auth.Users;

/// <summary>Creating, changing and removing users: the rules shared by the REST API and the admin page.</summary>
public sealed partial class UserDirectory(
    AccountsDbContext db, IPasswordHasher<UserAccount> hasher, RefreshTokens refreshTokens, TimeProvider clock)
{
    public Task<List<UserAccount>> ListAsync(CancellationToken ct) =>
        db.Users.AsNoTracking().OrderBy(u => u.NormalizedUserName).ToListAsync(ct);

    public Task<UserAccount?> FindAsync(string userName, CancellationToken ct)
    {
        if (!UserAccount.CouldExist(userName))
        {
            return Task.FromResult<UserAccount?>(null);
        }

        var normalized = UserAccount.Normalize(userName);
        return db.Users.SingleOrDefaultAsync(u => u.NormalizedUserName == normalized, ct);
    }

    public async Task<UserChangeResult> CreateAsync(CreateUserRequest request, CancellationToken ct)
    {
        var userName = request.Username?.Trim() ?? "";
        var role = request.Role ?? IotRoles.Customer;
        var errors = new Dictionary<string, string[]>();
        AddError(errors, "username", CheckUserName(userName));
        AddError(errors, "password", PasswordPolicy.Check(userName, request.Password));
        AddError(errors, "role", CheckRole(role));
        AddError(errors, "customerId", CheckCustomerId(role, request.CustomerId));
        if (errors.Count > 0)
        {
            return new UserChangeResult.Invalid(errors);
        }

        if (await FindAsync(userName, ct) is not null)
        {
            return new UserChangeResult.Conflict($"A user named '{userName}' already exists (usernames ignore case).");
        }

        var user = new UserAccount
        {
            Id = Guid.CreateVersion7(),
            UserName = userName,
            NormalizedUserName = UserAccount.Normalize(userName),
            PasswordHash = "",
            Role = role,
            CustomerId = role == IotRoles.Customer ? request.CustomerId : null,
            IsActive = true,
            CreatedAt = clock.GetUtcNow(),
        };
        user.PasswordHash = hasher.HashPassword(user, request.Password!);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return new UserChangeResult.Conflict($"A user named '{userName}' already exists (usernames ignore case).");
        }

        return new UserChangeResult.Done(user);
    }

    public async Task<UserChangeResult> UpdateAsync(string userName, UpdateUserRequest request, CancellationToken ct)
    {
        var user = await FindAsync(userName, ct);
        if (user is null)
        {
            return new UserChangeResult.NotFound();
        }

        var role = request.Role ?? user.Role;
        var customerId = request.CustomerId ?? user.CustomerId;
        var errors = new Dictionary<string, string[]>();
        if (request.Password is not null)
        {
            AddError(errors, "password", PasswordPolicy.Check(user.UserName, request.Password));
        }

        AddError(errors, "role", CheckRole(role));
        AddError(errors, "customerId", CheckCustomerId(role, customerId));
        if (errors.Count > 0)
        {
            return new UserChangeResult.Invalid(errors);
        }

        var losesAdmin = user.Role == IotRoles.Admin && user.IsActive && (role != IotRoles.Admin || request.IsActive == false);
        if (losesAdmin && await IsLastActiveAdminAsync(user, ct))
        {
            return new UserChangeResult.Conflict("At least one active administrator must remain.");
        }

        var signOut = request.Password is not null || request.IsActive == false;
        user.Role = role;
        user.CustomerId = role == IotRoles.Customer ? customerId : null;
        user.IsActive = request.IsActive ?? user.IsActive;
        if (request.Password is not null)
        {
            user.PasswordHash = hasher.HashPassword(user, request.Password);
        }

        await db.SaveChangesAsync(ct);
        if (signOut)
        {
            // A deactivated user, or one whose password was reset, keeps no session alive.
            await refreshTokens.RevokeAllAsync(user.Id, ct);
        }

        return new UserChangeResult.Done(user);
    }

    public async Task<UserChangeResult> DeleteAsync(string userName, CancellationToken ct)
    {
        var user = await FindAsync(userName, ct);
        if (user is null)
        {
            return new UserChangeResult.NotFound();
        }

        if (user.Role == IotRoles.Admin && user.IsActive && await IsLastActiveAdminAsync(user, ct))
        {
            return new UserChangeResult.Conflict("At least one active administrator must remain.");
        }

        db.Users.Remove(user);
        await db.SaveChangesAsync(ct);
        return new UserChangeResult.Done(user);
    }

    private Task<bool> IsLastActiveAdminAsync(UserAccount user, CancellationToken ct) =>
        db.Users.AllAsync(u => u.Id == user.Id || u.Role != IotRoles.Admin || !u.IsActive, ct);

    private static string? CheckUserName(string userName) =>
        userName.Length == 0 ? "A username is required."
        : userName.Length > UserAccount.MaxUserNameLength ? $"The username must be at most {UserAccount.MaxUserNameLength} characters long."
        : !UserNamePattern().IsMatch(userName) ? "The username may contain only letters, digits and @ . + - _."
        : null;

    private static string? CheckRole(string role) =>
        IotRoles.IsKnown(role) ? null : $"The role must be '{IotRoles.Admin}' or '{IotRoles.Customer}', not '{role}'.";

    private static string? CheckCustomerId(string role, Guid? customerId) =>
        role == IotRoles.Customer && (customerId is null || customerId == Guid.Empty)
            ? "A customer user needs the customer id (a UUID) whose devices it may see."
            : null;

    private static void AddError(Dictionary<string, string[]> errors, string field, string? message)
    {
        if (message is not null)
        {
            errors[field] = [message];
        }
    }

    // The original system's (Django's) rule, so that every existing username stays valid.
    [GeneratedRegex(@"^[\p{L}\p{N}@.+\-_]+$")]
    private static partial Regex UserNamePattern();
}
