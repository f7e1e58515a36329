using Microsoft.EntityFrameworkCore;

namespace IotAspire.Auth.Data;

/// <summary>The <c>accounts</c> database, owned by the token service: the only place that knows passwords.</summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : DbContext(options)
{
    public DbSet<UserAccount> Users => Set<UserAccount>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<UserAccount>(user =>
        {
            user.ToTable("users");
            user.HasKey(u => u.Id);
            user.Property(u => u.Id).HasColumnName("id");
            user.Property(u => u.UserName).HasColumnName("user_name").HasMaxLength(150);
            // Usernames are unique regardless of case: "Customer1" and "customer1" are one account.
            user.Property(u => u.NormalizedUserName).HasColumnName("normalized_user_name").HasMaxLength(150);
            user.HasIndex(u => u.NormalizedUserName).IsUnique();
            user.Property(u => u.PasswordHash).HasColumnName("password_hash");
            user.Property(u => u.IsActive).HasColumnName("is_active");
            user.Property(u => u.Role).HasColumnName("role").HasMaxLength(20);
            user.Property(u => u.CustomerId).HasColumnName("customer_id");
            user.Property(u => u.CreatedAt).HasColumnName("created_at");
        });
    }
}

public sealed class UserAccount
{
    public Guid Id { get; set; }
    public required string UserName { get; set; }
    public required string NormalizedUserName { get; set; }
    public required string PasswordHash { get; set; }
    public bool IsActive { get; set; } = true;
    public required string Role { get; set; }
    public Guid? CustomerId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
