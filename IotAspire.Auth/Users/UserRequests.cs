using IotAspire.Auth.Accounts;

namespace IotAspire.Auth.Users;

public sealed record CreateUserRequest(string? Username, string? Password, Guid? CustomerId, string? Role);

/// <summary>Every field is optional; only those present change.</summary>
public sealed record UpdateUserRequest(bool? IsActive, string? Password, Guid? CustomerId, string? Role);

/// <summary>A user as administrators see it: never the password hash.</summary>
public sealed record UserView(string Username, string Role, Guid? CustomerId, bool IsActive, DateTimeOffset CreatedAt)
{
    public static UserView From(UserAccount user) => new(user.UserName, user.Role, user.CustomerId, user.IsActive, user.CreatedAt);
}

public abstract record UserChangeResult
{
    public sealed record Done(UserAccount User) : UserChangeResult;

    /// <summary>Field (as named in the JSON body) to what is wrong with it.</summary>
    public sealed record Invalid(Dictionary<string, string[]> Errors) : UserChangeResult;

    public sealed record NotFound : UserChangeResult;

    public sealed record Conflict(string Message) : UserChangeResult;
}
