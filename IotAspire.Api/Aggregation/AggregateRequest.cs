namespace IotAspire.Api.Aggregation;

/// <summary>
/// What to aggregate. <see cref="CustomerId"/> null means every customer (administrators only). An answer
/// of more than <see cref="MaxBuckets"/> buckets is refused rather than built.
/// </summary>
public sealed record AggregateRequest(
    Guid? CustomerId, IReadOnlyList<Guid>? DeviceIds, DateTimeOffset From, DateTimeOffset To, int AggregationSizeMinutes,
    int MaxBuckets = AggregateReadings.MaxBucketsPerAnswer);
