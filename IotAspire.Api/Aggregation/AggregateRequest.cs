namespace IotAspire.Api.Aggregation;

/// <summary>What to aggregate. <see cref="CustomerId"/> null means every customer (administrators only).</summary>
public sealed record AggregateRequest(
    Guid? CustomerId, IReadOnlyList<Guid>? DeviceIds, DateTimeOffset From, DateTimeOffset To, int AggregationSizeMinutes);
