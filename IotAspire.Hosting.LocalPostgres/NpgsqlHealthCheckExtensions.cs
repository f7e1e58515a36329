using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

public static class NpgsqlHealthCheckExtensions
{
    /// <summary>
    /// Healthy once PostgreSQL accepts connections with the resource's own connection string, so that
    /// <c>WaitFor</c> waits for a usable server or database, not merely a started process. The connection
    /// string is known only once Aspire has allocated the endpoint, hence the event (the pattern of
    /// Aspire's own PostgreSQL integration).
    /// </summary>
    public static IResourceBuilder<T> WithNpgsqlHealthCheck<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithConnectionString
    {
        string? connectionString = null;
        builder.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(builder.Resource, async (_, ct) =>
            connectionString = await builder.Resource.ConnectionStringExpression.GetValueAsync(ct));

        var healthCheckKey = $"{builder.Resource.Name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException($"The connection string of '{builder.Resource.Name}' is not known yet."),
            name: healthCheckKey);

        return builder.WithHealthCheck(healthCheckKey);
    }
}
