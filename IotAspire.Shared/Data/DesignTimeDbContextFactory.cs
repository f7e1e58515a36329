using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace IotAspire.Shared.Data;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build a context's model without the AppHost or a database:
/// derive one empty class per context in the service that owns it.
/// </summary>
public abstract class DesignTimeDbContextFactory<TContext> : IDesignTimeDbContextFactory<TContext>
    where TContext : DbContext
{
    public TContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TContext>().UseNpgsql("Host=design-time-only").Options;
        return (TContext)Activator.CreateInstance(typeof(TContext), options)!;
    }
}
