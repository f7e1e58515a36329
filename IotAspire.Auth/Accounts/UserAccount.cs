namespace IotAspire.Auth.Accounts;

public sealed class UserAccount
{
    public const int MaxUserNameLength = 150;

    public Guid Id { get; set; }
    public required string UserName { get; set; }
    public required string NormalizedUserName { get; set; }
    public required string PasswordHash { get; set; }
    public bool IsActive { get; set; } = true;
    public required string Role { get; set; }

    /// <summary>The customer whose devices the user sees; several users may share one. Null for administrators.</summary>
    public Guid? CustomerId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public static string Normalize(string userName) => userName.Trim().ToUpperInvariant();

    /// <summary>Whether a user of this name could exist: not empty, not too long, no NUL (which PostgreSQL
    /// text cannot hold). Looking up any other name answers "no such user" without asking the database.</summary>
    public static bool CouldExist(string userName) =>
        userName.Length is > 0 and <= MaxUserNameLength && !userName.Contains('\0', StringComparison.Ordinal);
}
