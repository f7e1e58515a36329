using IotAspire.Auth.Accounts;
using IotAspire.Auth.Tokens;
using Microsoft.EntityFrameworkCore;

namespace IotAspire.Auth.Data;

/// <summary>The <c>accounts</c> database, owned by the token service: the only place that knows passwords.</summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : DbContext(options)
{
    public DbSet<UserAccount> Users => Set<UserAccount>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<LoginThrottle> LoginThrottles => Set<LoginThrottle>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<UserAccount>(user =>
        {
            user.ToTable("users");
            user.HasKey(u => u.Id);
            user.Property(u => u.Id).HasColumnName("id");
            user.Property(u => u.UserName).HasColumnName("user_name").HasMaxLength(UserAccount.MaxUserNameLength);
            // Usernames are unique regardless of case: "Customer1" and "customer1" are one account.
            user.Property(u => u.NormalizedUserName).HasColumnName("normalized_user_name").HasMaxLength(UserAccount.MaxUserNameLength);
            user.HasIndex(u => u.NormalizedUserName).IsUnique();
            user.Property(u => u.PasswordHash).HasColumnName("password_hash");
            user.Property(u => u.IsActive).HasColumnName("is_active");
            user.Property(u => u.Role).HasColumnName("role").HasMaxLength(20);
            user.Property(u => u.CustomerId).HasColumnName("customer_id");
            user.Property(u => u.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<RefreshToken>(token =>
        {
            token.ToTable("refresh_tokens");
            token.HasKey(t => t.Id);
            token.Property(t => t.Id).HasColumnName("id");
            // Only a hash is stored: a leaked table does not hand out sessions.
            token.Property(t => t.TokenHash).HasColumnName("token_hash").HasMaxLength(64);
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.Property(t => t.UserId).HasColumnName("user_id");
            token.HasOne<UserAccount>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
            token.Property(t => t.FamilyId).HasColumnName("family_id");
            token.HasIndex(t => t.FamilyId);
            token.Property(t => t.CreatedAt).HasColumnName("created_at");
            token.Property(t => t.ExpiresAt).HasColumnName("expires_at");
            token.Property(t => t.UsedAt).HasColumnName("used_at");
            token.Property(t => t.RevokedAt).HasColumnName("revoked_at");
        });

        modelBuilder.Entity<SigningKey>(key =>
        {
            key.ToTable("signing_keys");
            key.HasKey(k => k.KeyId);
            key.Property(k => k.KeyId).HasColumnName("key_id").HasMaxLength(64);
            key.Property(k => k.Algorithm).HasColumnName("algorithm").HasMaxLength(10);
            key.Property(k => k.PrivateKeyPkcs8).HasColumnName("private_key_pkcs8");
            key.Property(k => k.CreatedAt).HasColumnName("created_at");
            key.Property(k => k.ActivatesAt).HasColumnName("activates_at");
        });

        modelBuilder.Entity<LoginThrottle>(throttle =>
        {
            throttle.ToTable("login_throttles");
            throttle.HasKey(t => t.NormalizedUserName);
            throttle.Property(t => t.NormalizedUserName).HasColumnName("normalized_user_name").HasMaxLength(UserAccount.MaxUserNameLength);
            throttle.Property(t => t.Failures).HasColumnName("failures");
            throttle.Property(t => t.WindowStartedAt).HasColumnName("window_started_at");
        });
    }
}
