namespace IotAspire.Api.Grafana;

public static class GrafanaServiceExtensions
{
    /// <summary>
    /// Grafana's read-only login, made at start. Register it after the database: hosted services start in
    /// order, and the role's grants need the migrated tables.
    /// </summary>
    public static IHostApplicationBuilder AddGrafanaReaderRole(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<GrafanaReaderOptions>(builder.Configuration.GetSection(GrafanaReaderOptions.Section));
        builder.Services.AddHostedService<GrafanaReaderRole>();
        return builder;
    }
}
