namespace IotAspire.Api.Retention;

public static class RetentionServiceExtensions
{
    /// <summary>Per-customer retention: its settings and records, the job that deletes, and its schedule (validated at start).</summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<RetentionOptions>(RetentionOptions.Section);
        builder.Services.AddSingleton<RetentionStore>();
        builder.Services.AddSingleton<RetentionRunner>();
        builder.Services.AddSingleton<ManageRetention>();
        builder.Services.AddHostedService<RetentionJob>();
        return builder;
    }
}
