using Microsoft.Extensions.Options;
using Npgsql;
using IotAspire.Api.ReadingsStore;
namespace IotAspire.Api.Materialization;

public static class MaterializationServiceExtensions
{
    /// <summary>The rollup materializer: its settings (validated at start), metrics and background job.</summary>
    public static IHostApplicationBuilder AddRollupMaterializer(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<MaterializerOptions>(MaterializerOptions.Section);
        builder.Services.AddSingleton<RollupMetrics>();
        builder.Services.AddSingleton(services =>
        {
            var options = services.GetRequiredService<IOptions<MaterializerOptions>>().Value;
            return new RollupMaterializer(services.GetRequiredService<NpgsqlDataSource>(), options.MaxRowsPerPass, services.GetRequiredService<RollupMetrics>(),
                services.GetServices<IFoldObserver>(), options.FoldConnections);
        });
        builder.Services.AddHostedService<MaterializerJob>();
        return builder;
    }
}
