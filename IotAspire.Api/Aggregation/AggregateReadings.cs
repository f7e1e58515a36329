using IotAspire.Api.Errors;
using IotAspire.Api.HeavyReads;
using IotAspire.Api.Readings;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Aggregation;

/// <summary>
/// The aggregation use case: checks the arguments of <c>deviceAggregates</c>, decides whose devices the
/// caller may see, and has PostgreSQL compute the selected functions of each bucket.
/// </summary>
public sealed class AggregateReadings(DeviceAggregatesReader reader, HeavyReadBudget budget, TimeProvider clock)
{
    public const int DefaultAggregationSizeMinutes = 5;
    public const int MinAggregationSizeMinutes = 1;
    public const int MaxAggregationSizeMinutes = 527_040;   // 366 days
    public const long MaxBucketsPerDevice = 100_000;

    public static readonly TimeSpan DefaultRange = TimeSpan.FromDays(30);

    public async Task<IReadOnlyList<DeviceAggregate>> RunAsync(
        Caller caller, DateTimeOffset? from, DateTimeOffset? to, int? aggregationSizeMinutes, IReadOnlyList<Guid>? deviceIds,
        Guid? customerId, FillMode fill, string? timeZone, BucketFunctions functions, CancellationToken ct,
        IReadOnlyList<string>? keys = null, IReadOnlyList<Tag>? tags = null)
    {
        var request = Check(caller, from, to, aggregationSizeMinutes, deviceIds, customerId, clock.GetUtcNow(), timeZone, keys, tags) with { Functions = functions };
        request = await reader.WithSeriesAsync(request, ct);
        using var turn = await IsHeavyAsync(request, ct) ? await budget.EnterAsync(caller, "deviceAggregates read", ct) : null;
        var aggregates = await reader.ReadAsync(request, ct);
        if (fill == FillMode.None)
        {
            return aggregates;
        }

        // A named series (a named device's key) with no reading in the range but one before it (a device that reports
        // only on change) gets its buckets too, carrying that reading with PREVIOUS. A series with no reading before the
        // range either stays absent, as do series of unnamed devices without readings in the range: nothing is known of
        // them there.
        var series = request.DeviceIds is null ? [] : request.Series!.ToDictionary(s => (s.CustomerId, s.Id));
        var answered = aggregates.Select(a => (a.CustomerId, SeriesIds.Of(a.DeviceId, a.Key))).ToHashSet();
        if (series.Keys.Where(s => !answered.Contains(s)).Select(s => s.Id).ToArray() is { Length: > 0 } quiet)
        {
            var layout = request.Layout;
            List<DeviceAggregate> filled = [.. aggregates, .. (await reader.SeriesWithReadingBeforeAsync(request, quiet, ct))
                .Where(series.ContainsKey)
                .Select(s => new DeviceAggregate(series[s].DeviceId, s.Customer, layout.Label(request.From), layout.Label(request.To), request.AggregationSizeMinutes, [], null)
                {
                    Key = series[s].Key,
                })];
            filled.Sort(DeviceAggregatesReader.Order);
            aggregates = filled;
        }

        if (aggregates.Count == 0)
        {
            return aggregates;
        }

        // Every bucket of the range for every device with readings in it: the answer's limit counts them all.
        var starts = request.Layout.Starts(request.From, request.To);
        var buckets = (long)starts.Count;
        if (buckets * aggregates.Count > request.MaxBuckets)
        {
            throw ApiErrors.BadInput(
                $"With fill {fill.ToString().ToUpperInvariant()} the answer would hold {buckets} buckets for each of {aggregates.Count} devices; the limit is {request.MaxBuckets} in all. "
                + "Use a larger aggregationSizeMinutes, a shorter range, or fewer deviceIds.");
        }

        var previous = fill == FillMode.Previous
            ? await reader.PreviousMeansAsync(request, aggregates.Select(a => (a.CustomerId, SeriesIds.Of(a.DeviceId, a.Key))).ToArray(), ct)
            : [];
        return [.. aggregates.Select(a => a with
        {
            AggregatedValues = GapFill.Apply(a.AggregatedValues, starts, fill,
                previous.TryGetValue((a.CustomerId, SeriesIds.Of(a.DeviceId, a.Key)), out var before) ? before : null, request.Layout.Label),
        })];
    }

    /// <summary>Whether the read costs at least <see cref="HeavyReadsOptions.HeavyCost"/> (<see cref="ReadCost"/>): its
    /// devices are counted only when they decide it, and then only as far as they do.</summary>
    private async Task<bool> IsHeavyAsync(AggregateRequest request, CancellationToken ct)
    {
        var buckets = ReadCost.BucketsPerDevice(request);
        var functions = ReadCost.Functions(request.Functions);
        if (ReadCost.HeavyFromDevices(buckets, functions, budget.Options.HeavyCost) is not { } heavyFrom)
        {
            return false;
        }

        var series = SeriesScope.Of(request).Narrowed ? request.Series!.Count : heavyFrom <= 1 ? 1 : await reader.CountSeriesAsync(request, heavyFrom, ct);
        return series >= heavyFrom;
    }

    /// <summary>
    /// The request to run, or the first reason to refuse it (a pure rule; <paramref name="now"/> ends the default
    /// range; <paramref name="timeZone"/>, an IANA name, lays out the buckets: see <see cref="BucketLayout"/>).
    /// </summary>
    public static AggregateRequest Check(
        Caller caller, DateTimeOffset? from, DateTimeOffset? to, int? aggregationSizeMinutes, IReadOnlyList<Guid>? deviceIds,
        Guid? customerId, DateTimeOffset now, string? timeZone = null, IReadOnlyList<string>? keys = null, IReadOnlyList<Tag>? tags = null)
    {
        AggregateRequest.CheckSeriesFilters(keys, tags);
        var size = aggregationSizeMinutes ?? DefaultAggregationSizeMinutes;
        if (size is < MinAggregationSizeMinutes or > MaxAggregationSizeMinutes)
        {
            throw ApiErrors.BadInput($"aggregationSizeMinutes must be between {MinAggregationSizeMinutes} and {MaxAggregationSizeMinutes}, not {size}.");
        }

        var layout = BucketLayout.For(size, timeZone);
        if (from is { } f)
        {
            ReadingTime.Check(f, "from");
        }

        if (to is { } t)
        {
            ReadingTime.Check(t, "to");
        }

        if (deviceIds is { Count: > AggregateRequest.MaxDeviceIds })
        {
            throw ApiErrors.BadInput($"deviceIds may name at most {AggregateRequest.MaxDeviceIds} devices, not {deviceIds.Count}; leave it out to aggregate every device.");
        }

        var end = to ?? now;
        var start = from ?? end - DefaultRange;
        if (start >= end)
        {
            throw ApiErrors.BadInput($"from ({start:O}) must be earlier than to ({end:O}).");
        }

        var buckets = (end - start).Ticks / TimeSpan.FromMinutes(size).Ticks;
        if (buckets > MaxBucketsPerDevice)
        {
            var suggested = (int)Math.Ceiling((end - start).TotalMinutes / MaxBucketsPerDevice);
            throw ApiErrors.BadInput(
                $"The range holds {buckets} buckets of {size} minute(s) per device; the limit is {MaxBucketsPerDevice}. "
                + $"Use aggregationSizeMinutes of at least {suggested}, or a shorter range.");
        }

        return new AggregateRequest(CustomerScope.For(caller, customerId), deviceIds, start, end, size) { Layout = layout, Keys = keys, Tags = tags };
    }
}
