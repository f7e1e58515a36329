namespace IotAspire.Api.Aggregation;

/// <summary>
/// What to aggregate. <see cref="CustomerId"/> null means every customer (administrators only). An answer
/// of more than <see cref="MaxBuckets"/> buckets is refused rather than built. <see cref="Layout"/>: where the
/// buckets start (UTC, epoch-aligned, unless a time zone is given); <see cref="Functions"/>: what each computes.
/// </summary>
public sealed record AggregateRequest(
    Guid? CustomerId, IReadOnlyList<Guid>? DeviceIds, DateTimeOffset From, DateTimeOffset To, int AggregationSizeMinutes,
    int MaxBuckets = AggregateReadings.MaxBucketsPerAnswer)
{
    public BucketLayout Layout { get; init; } = BucketLayout.Utc(AggregationSizeMinutes);

    public BucketFunctions Functions { get; init; } = BucketFunctions.FromRollups;
}
