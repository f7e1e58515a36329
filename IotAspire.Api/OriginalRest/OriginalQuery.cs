using System.Globalization;
using IotAspire.Api.Aggregation;
using IotAspire.Api.Errors;
using IotAspire.Api.Readings;

namespace IotAspire.Api.OriginalRest;

/// <summary>
/// The parameters of the original <c>GET /api/devices</c>: <c>start</c>, <c>end</c> (default: the last 30 days),
/// <c>aggregation_size</c> (minutes, default 5), <c>customer_id</c>, <c>device_id</c>. Its range was inclusive
/// at both ends: <see cref="ExclusiveEnd"/> is one microsecond (what is stored) past <see cref="End"/>.
/// </summary>
public sealed record OriginalQuery(DateTimeOffset Start, DateTimeOffset End, int AggregationSize, Guid? CustomerId, Guid? DeviceId)
{
    public DateTimeOffset ExclusiveEnd => End.AddTicks(TimeSpan.TicksPerMicrosecond);

    /// <summary>The query, or the first bad parameter, named as the caller wrote it (a pure rule).</summary>
    public static OriginalQuery Parse(IQueryCollection query, DateTimeOffset now)
    {
        // Stored times are whole microseconds; so is the default end.
        var end = Time(query, "end") ?? now.AddTicks(-(now.UtcTicks % TimeSpan.TicksPerMicrosecond));
        var start = Time(query, "start") ?? end - AggregateReadings.DefaultRange;
        if (start > end)
        {
            throw ApiErrors.BadInput($"start ({OriginalReadings.Text(start)}) must not be later than end ({OriginalReadings.Text(end)}).");
        }

        var size = AggregateReadings.DefaultAggregationSizeMinutes;
        if (query["aggregation_size"] is { Count: > 0 } sizeText
            && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out size)
                || size is < AggregateReadings.MinAggregationSizeMinutes or > AggregateReadings.MaxAggregationSizeMinutes))
        {
            throw ApiErrors.BadInput($"aggregation_size must be a whole number of minutes from {AggregateReadings.MinAggregationSizeMinutes} to {AggregateReadings.MaxAggregationSizeMinutes}, not '{sizeText}'.");
        }

        var buckets = (end - start).Ticks / TimeSpan.FromMinutes(size).Ticks;
        if (buckets > AggregateReadings.MaxBucketsPerDevice)
        {
            throw ApiErrors.BadInput($"aggregation_size {size} makes {buckets} buckets from start to end; the limit is {AggregateReadings.MaxBucketsPerDevice}. Raise aggregation_size or narrow the range.");
        }

        return new OriginalQuery(start, end, size, Id(query, "customer_id"), Id(query, "device_id"));
    }

    private static DateTimeOffset? Time(IQueryCollection query, string name)
    {
        if (query[name] is not { Count: > 0 } text)
        {
            return null;
        }

        if (!OriginalReadings.TryTime(text, out var time))
        {
            throw ApiErrors.BadInput($"{name} must be an ISO 8601 date and time, such as 2022-01-21T10:00:00, not '{text}'.");
        }

        ReadingTime.Check(time, name);   // the API's own range and precision, named as the caller wrote it
        return time;
    }

    private static Guid? Id(IQueryCollection query, string name) =>
        query[name] is not { Count: > 0 } text ? null
        : Guid.TryParseExact(text, "D", out var id) ? id
        : throw ApiErrors.BadInput($"{name} must be a UUID such as 71bf19cb-e7e7-4334-af31-5ebba56a655d, not '{text}'.");
}
