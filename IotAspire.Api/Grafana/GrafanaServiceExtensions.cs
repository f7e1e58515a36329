namespace IotAspire.Api.Grafana;

public static class GrafanaServiceExtensions
{
    /// <summary>
    /// Grafana's read access, granted at start. Register it after the database: hosted services start in
    /// order, and the grants need the migrated tables.
    /// </summary>
    public static IHostApplicationBuilder AddGrafanaReadAccess(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<GrafanaReadAccess>();
        return builder;
    }
}
