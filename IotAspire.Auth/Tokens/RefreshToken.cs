namespace IotAspire.Auth.Tokens;

/// <summary>
/// One refresh token. Each use replaces it with a new one of the same family; presenting a used token
/// again means it was stolen or replayed, and revokes the whole family.
/// </summary>
public sealed class RefreshToken
{
    public Guid Id { get; set; }
    public required string TokenHash { get; set; }
    public Guid UserId { get; set; }
    public Guid FamilyId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
