using IotAspire.Api.Errors;
using IotAspire.Api.Readings;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// What to aggregate: the series of the named devices (null: every device), of the named <see cref="Keys"/> (null: every key)
/// and of the devices carrying every one of <see cref="Tags"/>. <see cref="CustomerId"/> null means every customer (administrators only). An answer
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

    /// <summary>The most keys one request may name.</summary>
    public const int MaxKeys = 100;

    /// <summary>The most series one answer may cover (devices times keys).</summary>
    public const int MaxSeries = 10_000;

    public IReadOnlyList<string>? Keys { get; init; }

    public IReadOnlyList<Tag>? Tags { get; init; }

    /// <summary>The series the devices, keys and tags name, once found (<see cref="DeviceAggregatesReader.SeriesAsync"/>).</summary>
    public IReadOnlyList<SeriesName>? Series { get; init; }

    /// <summary>Refuses keys and tag filters that break their rules (a pure rule, shared by every read that takes them).</summary>
    public static void CheckSeriesFilters(IReadOnlyList<string>? keys, IReadOnlyList<Tag>? tags)
    {
        if (keys is { Count: > AggregateRequest.MaxKeys })
        {
            throw ApiErrors.BadInput($"keys may name at most {AggregateRequest.MaxKeys} keys, not {keys.Count}; leave it out for every key.");
        }

        for (var i = 0; i < (keys?.Count ?? 0); i++)
        {
            TelemetryKey.Check(keys![i], $"keys[{i}]");
        }

        if (tags is not null)
        {
            DeviceTags.Check([.. tags.Select(t => (t.Name, t.Value))], "tags");
        }
    }

    public BucketLayout Layout { get; init; } = BucketLayout.Utc(AggregationSizeMinutes);

    public BucketFunctions Functions { get; init; } = BucketFunctions.FromRollups;
}

/// <summary>A series (one key of one device) of a customer, by its id and by its device and key.</summary>
public sealed record SeriesName(Guid CustomerId, Guid Id, Guid DeviceId, string Key);
