using Npgsql;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Told of each customer's fold inside the materializer's transaction, so that what it writes commits with the fold
/// or not at all. A feature that must learn which series' readings were folded (the alerts feature: which rules to
/// evaluate) registers one; the store calls every registered observer and knows none of them.
/// </summary>
public interface IFoldObserver
{
    Task OnFoldedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, FoldedSeries folded, CancellationToken ct);
}

/// <summary>One customer's series whose pending readings a pass folded, each with the span of what it folded.</summary>
public sealed record FoldedSeries(Guid CustomerId, Guid[] SeriesIds, DateTime[] FirstAt, DateTime[] LastAt)
{
    /// <summary>A group's folded series (parallel arrays, each series once) split by customer, in order of first appearance.</summary>
    public static IReadOnlyList<FoldedSeries> PerCustomer(Guid[] customerIds, Guid[] seriesIds, DateTime[] firstAt, DateTime[] lastAt) =>
        [.. Enumerable.Range(0, customerIds.Length).GroupBy(i => customerIds[i]).Select(customer => new FoldedSeries(customer.Key,
            [.. customer.Select(i => seriesIds[i])], [.. customer.Select(i => firstAt[i])], [.. customer.Select(i => lastAt[i])]))];
}
