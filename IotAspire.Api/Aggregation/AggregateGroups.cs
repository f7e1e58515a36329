using System.ComponentModel;
using IotAspire.Api.Errors;
using IotAspire.Api.HeavyReads;
using IotAspire.Api.Readings;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Security;

namespace IotAspire.Api.Aggregation;

/// <summary>One group's buckets (<c>GroupAggregate</c> in the schema).</summary>
public sealed record GroupAggregate(
    [property: Description("The value of the groupBy tag the group's devices carry; null for devices without that tag.")] string? Group,
    string Key,
    [property: Description("How many of the customer's devices (with the key, and the tags asked for) the group holds.")] int DeviceCount,
    IReadOnlyList<AggregatedValue> AggregatedValues);

/// <summary>
/// The use case of <c>groupAggregates</c>: one customer's devices grouped by the value of one tag, and per group and
/// bucket one answer over all the group's readings of one key (a group's mean is the mean of its readings). Checked as
/// <c>deviceAggregates</c> is; the heavy-read budget counts groups times buckets.
/// </summary>
public sealed class AggregateGroups(GroupBucketsReader reader, HeavyReadBudget budget, TimeProvider clock)
{
    public async Task<IReadOnlyList<GroupAggregate>> RunAsync(
        Caller caller, string key, string groupBy, DateTimeOffset? from, DateTimeOffset? to, int? aggregationSizeMinutes,
        BucketFunctions functions, IReadOnlyList<Tag>? tags, FillMode fill, string? timeZone, Guid? customerId, CancellationToken ct)
    {
        var request = Check(caller, key, groupBy, from, to, aggregationSizeMinutes, tags, timeZone, customerId, clock.GetUtcNow()) with { Functions = functions };
        var grouped = await reader.GroupedSeriesAsync(request, groupBy, ct);
        var starts = request.Layout.Starts(request.From, request.To);
        var groups = grouped.Select(g => g.Group).Distinct().Count();
        if ((long)groups * starts.Count > request.MaxBuckets)
        {
            throw ApiErrors.BadInput(
                $"The answer would hold {starts.Count} buckets for each of {groups} groups; the limit is {request.MaxBuckets} in all. "
                + "Use a larger aggregationSizeMinutes, a shorter range, or a tag filter that leaves fewer groups.");
        }

        var heavyFrom = ReadCost.HeavyFromDevices(ReadCost.BucketsPerDevice(request), ReadCost.Functions(functions), budget.Options.HeavyCost);
        using var turn = heavyFrom is { } from_ && groups >= from_ ? await budget.EnterAsync(caller, "groupAggregates read", ct) : null;
        var answer = await reader.ReadAsync(request, grouped, ct);
        return [.. answer.Select(g => new GroupAggregate(g.Group, key, g.DeviceCount,
            fill == FillMode.None ? g.AggregatedValues : GapFill.Apply(g.AggregatedValues, starts, fill, null, request.Layout.Label)))];
    }

    /// <summary>The request, or the first reason to refuse it (a pure rule): one customer, one key, a tag name to group by.</summary>
    public static AggregateRequest Check(
        Caller caller, string key, string groupBy, DateTimeOffset? from, DateTimeOffset? to, int? aggregationSizeMinutes,
        IReadOnlyList<Tag>? tags, string? timeZone, Guid? customerId, DateTimeOffset now)
    {
        TelemetryKey.Check(key, "key");
        if (!TelemetryKey.IsValid(groupBy))
        {
            throw ApiErrors.BadInput($"groupBy must be a tag name (1 to {TelemetryKey.MaxLength} letters, digits, '_', '.' or '-', like site), not {TelemetryKey.Describe(groupBy)}.");
        }

        var request = AggregateReadings.Check(caller, from, to, aggregationSizeMinutes, null, customerId, now, timeZone, [key], tags);
        return request.CustomerId is null
            ? throw ApiErrors.BadInput("Name the customerId whose devices to group: groups are of one customer's devices.")
            : request;
    }
}
