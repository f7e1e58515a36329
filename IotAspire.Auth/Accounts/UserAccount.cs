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
}
