using IotAspire.Api.ReadingsStore;

namespace IotAspire.UnitTests.ReadingsStore;

/// <summary>Which customers a materializer pass folds together, and how a group's folded series reach each customer.</summary>
public sealed class FoldGroupsTests
{
    private static readonly Guid A = Guid.Parse("a0000000-0000-4000-8000-000000000000");
    private static readonly Guid B = Guid.Parse("b0000000-0000-4000-8000-000000000000");
    private static readonly Guid C = Guid.Parse("c0000000-0000-4000-8000-000000000000");
    private static readonly Guid D = Guid.Parse("d0000000-0000-4000-8000-000000000000");

    [Fact]
    public void Each_shard_is_a_group_in_the_order_its_first_customer_waited()
    {
        var groups = FoldGroups.Of([new(A, 102_008), new(B, 102_009), new(C, 102_008), new(D, 102_010)]);

        Assert.Equal([[A, C], [B], [D]], groups);
    }

    [Fact]
    public void A_shard_of_many_customers_is_folded_in_groups_of_at_most_the_bound()
    {
        var customers = Enumerable.Range(0, (2 * FoldGroups.MaxCustomers) + 1).Select(_ => new PendingCustomer(Guid.NewGuid(), 0)).ToArray();

        var groups = FoldGroups.Of(customers);

        Assert.Equal([FoldGroups.MaxCustomers, FoldGroups.MaxCustomers, 1], groups.Select(group => group.Length));
        Assert.Equal(customers.Select(customer => customer.CustomerId), groups.SelectMany(group => group));
    }

    [Fact]
    public void No_pending_customers_is_no_group() => Assert.Empty(FoldGroups.Of([]));

    [Fact]
    public void A_groups_folded_series_reach_each_customer_with_their_own_spans()
    {
        var s1 = Guid.NewGuid();
        var s2 = Guid.NewGuid();
        var s3 = Guid.NewGuid();
        var t = new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);

        var folded = FoldedSeries.PerCustomer([B, A, B], [s1, s2, s3], [t, t.AddMinutes(1), t.AddMinutes(2)], [t.AddHours(1), t.AddHours(2), t.AddHours(3)]);

        Assert.Equal(2, folded.Count);
        Assert.Equal(B, folded[0].CustomerId);
        Assert.Equal([s1, s3], folded[0].SeriesIds);
        Assert.Equal([t, t.AddMinutes(2)], folded[0].FirstAt);
        Assert.Equal([t.AddHours(1), t.AddHours(3)], folded[0].LastAt);
        Assert.Equal(A, folded[1].CustomerId);
        Assert.Equal([s2], folded[1].SeriesIds);
        Assert.Equal([t.AddHours(2)], folded[1].LastAt);
    }
}
