namespace IotAspire.Api.HeavyReads;

public static class HeavyReadsServiceExtensions
{
    /// <summary>The turns of heavy reads (<see cref="HeavyReadBudget"/>), configured under <c>HeavyReads</c>.</summary>
    public static IHostApplicationBuilder AddHeavyReadBudget(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<HeavyReadsOptions>(HeavyReadsOptions.Section,
            (o => o.PerCustomer <= o.InAll, "PerCustomer may not exceed InAll: one customer could never use its turns."));
        builder.Services.AddHttpContextAccessor();   // a turn lasts until the response is written
        builder.Services.AddSingleton<HeavyReadBudget>();
        return builder;
    }
}
