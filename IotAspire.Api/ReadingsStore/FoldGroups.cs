namespace IotAspire.Api.ReadingsStore;

/// <summary>A customer with pending rows and its shard (0 on one server).</summary>
public sealed record PendingCustomer(Guid CustomerId, long Shard);

/// <summary>
/// Which customers a pass folds together, one group per fold (<see cref="FoldStatement"/>): customers of one shard (on
/// one server every customer's shard is 0), at most <see cref="MaxCustomers"/> a group, so that every statement of a
/// fold is routed to one worker on Citus. A fold's round trips and planning are paid once a group instead of once a
/// customer: on the Citus cluster they were most of a fold's time (about 25 ms for 30 series in psql, whose statements
/// execute in a few ms each on one server). Groups keep the customers' order, the longest waiting first.
/// </summary>
public static class FoldGroups
{
    /// <summary>
    /// The most customers in a group: every table a fold reads is filtered by the group's customers (Citus routes by
    /// that filter), and PostgreSQL sorts that array again on each of the fold's index lookups, one a series and span.
    /// </summary>
    public const int MaxCustomers = 16;

    public static IReadOnlyList<Guid[]> Of(IReadOnlyList<PendingCustomer> customers) =>
        [.. customers.GroupBy(customer => customer.Shard)
            .SelectMany(shard => shard.Select(customer => customer.CustomerId).Chunk(MaxCustomers))];
}
