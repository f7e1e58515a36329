namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// What to aggregate. <see cref="CustomerId"/> null means every customer (administrators only). An answer
/// of more than <see cref="MaxBuckets"/> buckets is refused rather than built. <see cref="Layout"/>: where the
/// buckets start (UTC, epoch-aligned, unless a time zone is given); <see cref="Functions"/>: what each computes.
/// </summary>
public sealed record AggregateRequest(
    Guid? CustomerId, IReadOnlyList<Guid>? DeviceIds, DateTimeOffset From, DateTimeOffset To, int AggregationSizeMinutes,
    int MaxBuckets = AggregateRequest.DefaultMaxBuckets)
{
    /// <summary>The most buckets one answer holds over all its devices, unless a caller asks for fewer.</summary>
    public const int DefaultMaxBuckets = 100_000;

    /// <summary>The most devices one request may name (aggregates, raw pages, exports).</summary>
    public const int MaxDeviceIds = 1_000;

    public BucketLayout Layout { get; init; } = BucketLayout.Utc(AggregationSizeMinutes);

    public BucketFunctions Functions { get; init; } = BucketFunctions.FromRollups;
}
