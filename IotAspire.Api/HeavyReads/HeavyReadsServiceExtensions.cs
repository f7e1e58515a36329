namespace IotAspire.Api.HeavyReads;

public static class HeavyReadsServiceExtensions
{
    /// <summary>The turns of heavy reads (<see cref="HeavyReadBudget"/>), configured under <c>HeavyReads</c>.</summary>
    public static IHostApplicationBuilder AddHeavyReadBudget(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<HeavyReadsOptions>(HeavyReadsOptions.Section,
            (o => o.PerCustomer < o.InAll, "PerCustomer must be less than InAll: one customer's turns must leave a turn for every other customer."));
        builder.Services.AddHttpContextAccessor();   // a turn lasts until the response is written
        builder.Services.AddSingleton<HeavyReadBudget>();
        return builder;
    }
}
