using System.Runtime.CompilerServices;
using IotAspire.Api.Aggregation;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Errors;
using IotAspire.Api.Security;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.LiveUpdates;

/// <summary>
/// The live-update use cases behind the subscriptions: the caller's scope is decided once, when it
/// subscribes (<see cref="CustomerScope"/>, as for queries); each committed batch it may see is then read
/// back from the database with that scope in the SQL, so nothing reaches it before commit or from another
/// customer, whichever replica stored it.
/// </summary>
public sealed class WatchReadings(LiveSubscribers subscribers, NpgsqlDataSource dataSource, DeviceAggregatesReader aggregates, TimeProvider clock)
{
    /// <summary>Buckets one <c>deviceAggregateUpdated</c> event may hold: a late batch spanning more sends its latest ones.</summary>
    public const int MaxBucketsPerUpdate = 1_000;

    /// <summary><c>readingsIngested</c>: each committed batch of the caller's devices, as the readings it stored or changed.</summary>
    public async Task<IAsyncEnumerable<IReadOnlyList<StoredReading>>> ReadingsIngestedAsync(
        Caller caller, IReadOnlyList<Guid>? deviceIds, Guid? customerId, CancellationToken ct, IReadOnlyList<string>? keys = null)
    {
        var scope = CustomerScope.For(caller, customerId);
        CheckDeviceIds(deviceIds);
        AggregateRequest.CheckSeriesFilters(keys, null);
        var subscription = await subscribers.SubscribeAsync(scope, deviceIds, ct, keys);
        ct.Register(subscription.Dispose);   // ends with the operation, even if the stream is never read
        return StreamReadings(subscription, scope, ct);
    }

    /// <summary>
    /// <c>deviceAggregateUpdated</c>: after each committed batch, the buckets of <paramref name="aggregationSizeMinutes"/>
    /// it changed, with their means over everything stored in them (the same numbers <c>deviceAggregates</c> gives).
    /// </summary>
    public async Task<IAsyncEnumerable<DeviceAggregate>> DeviceAggregateUpdatedAsync(
        Caller caller, IReadOnlyList<Guid>? deviceIds, int? aggregationSizeMinutes, Guid? customerId, BucketFunctions functions, CancellationToken ct,
        IReadOnlyList<string>? keys = null)
    {
        // The query's own rules for the bucket size, the devices, the keys and the scope (its range is not used).
        var checkedRequest = AggregateReadings.Check(caller, null, null, aggregationSizeMinutes, deviceIds, customerId, clock.GetUtcNow(), keys: keys);
        var subscription = await subscribers.SubscribeAsync(checkedRequest.CustomerId, deviceIds, ct, keys);
        ct.Register(subscription.Dispose);
        return StreamAggregates(subscription, checkedRequest.CustomerId, checkedRequest.AggregationSizeMinutes, functions, ct);
    }

    /// <summary>The buckets of <paramref name="sizeMinutes"/> that [first, last] touches, at most <see cref="MaxBucketsPerUpdate"/> of the latest (a pure rule).</summary>
    public static (DateTimeOffset From, DateTimeOffset To) TouchedBuckets(DateTimeOffset first, DateTimeOffset last, int sizeMinutes)
    {
        var layout = BucketLayout.Utc(sizeMinutes);
        var to = layout.NextStart(layout.StartOf(last));
        var from = layout.StartOf(first);
        var earliest = to - (MaxBucketsPerUpdate * TimeSpan.FromMinutes(sizeMinutes));
        return (from > earliest ? from : earliest, to);
    }

    private static void CheckDeviceIds(IReadOnlyList<Guid>? deviceIds)
    {
        if (deviceIds is { Count: > AggregateRequest.MaxDeviceIds })
        {
            throw ApiErrors.BadInput($"deviceIds may name at most {AggregateRequest.MaxDeviceIds} devices, not {deviceIds.Count}; leave it out to watch every device.");
        }
    }

    private async IAsyncEnumerable<IReadOnlyList<StoredReading>> StreamReadings(
        LiveSubscribers.Subscription subscription, Guid? scope, CancellationToken subscribed, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var _ = subscription;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(subscribed, ct);
        await foreach (var batch in subscription.Batches.ReadAllAsync(either.Token))
        {
            var readings = await ReadBatchAsync(batch, scope ?? batch.CustomerId, either.Token);
            if (readings.Count > 0)   // none when the rows were changed again since: that change sends its own
            {
                yield return readings;
            }
        }
    }

    private async IAsyncEnumerable<DeviceAggregate> StreamAggregates(
        LiveSubscribers.Subscription subscription, Guid? scope, int sizeMinutes, BucketFunctions functions, CancellationToken subscribed, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var _ = subscription;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(subscribed, ct);
        await foreach (var batch in subscription.Batches.ReadAllAsync(either.Token))
        {
            var (from, to) = TouchedBuckets(batch.FirstAt, batch.LastAt, sizeMinutes);
            var request = new AggregateRequest(scope ?? batch.CustomerId, [batch.DeviceId], from, to, sizeMinutes) { Functions = functions, Keys = [batch.Key] };
            foreach (var aggregate in await aggregates.ReadAsync(request, either.Token))
            {
                yield return aggregate;
            }
        }
    }

    private async Task<IReadOnlyList<StoredReading>> ReadBatchAsync(ReadingsNotification batch, Guid customerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ReadingRanges.BatchReadingsSql);
        command.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customerId });
        command.Parameters.Add(new("series", NpgsqlDbType.Uuid) { Value = batch.SeriesId });
        command.Parameters.Add(new("first", NpgsqlDbType.TimestampTz) { Value = batch.FirstAt });
        command.Parameters.Add(new("last", NpgsqlDbType.TimestampTz) { Value = batch.LastAt });
        command.Parameters.Add(new("ingested", NpgsqlDbType.TimestampTz) { Value = batch.IngestedAt });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var readings = new List<StoredReading>();
        while (await reader.ReadAsync(ct))
        {
            readings.Add(new StoredReading(batch.DeviceId, customerId, reader.GetFieldValue<DateTimeOffset>(0), reader.GetDouble(1)) { Key = batch.Key });
        }

        return readings;
    }
}
