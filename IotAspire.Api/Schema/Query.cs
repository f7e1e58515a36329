using System.ComponentModel;
using GraphQL;
using IotAspire.Api.Aggregation;
using IotAspire.Api.Alerts;
using IotAspire.Api.Devices;
using IotAspire.Api.RawReadings;
using IotAspire.Api.Retention;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Schema;

/// <summary>The read side of the API; every field is scoped to the caller's customer.</summary>
public sealed class Query
{
    [Description("Per device and key, the values of [from, to) in time buckets of aggregationSizeMinutes: mean, min, max, sum, count, stddev, first, last and percentiles, each computed only when selected. Defaults: to = now, from = to - 30 days. Buckets are aligned to the Unix epoch in UTC unless timeZone says otherwise, labelled by their start; empty buckets are left out unless fill says otherwise.")]
    public static Task<IReadOnlyList<DeviceAggregate>> DeviceAggregates(
        IResolveFieldContext context,
        [FromServices] AggregateReadings aggregateReadings,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        int? aggregationSizeMinutes = AggregateReadings.DefaultAggregationSizeMinutes,
        Guid[]? deviceIds = null,
        [Description("Administrators: only this customer. Customers may name only their own.")] Guid? customerId = null,
        [Description("What to answer for empty buckets: left out (NONE), or every bucket of the range with null (NULL), the previous value (PREVIOUS) or a straight line between neighbours (LINEAR). Devices without readings in the range stay absent.")] FillMode fill = FillMode.None,
        [Description(TimeZoneText)] string? timeZone = "UTC",
        [Description("Only these keys (temperature, humidity); leave out for every key of the devices. Each answer names its key.")] string[]? keys = null,
        [Description("Only devices carrying every one of these tags (site = berlin).")] Tag[]? tags = null)
        => aggregateReadings.RunAsync(Caller.From(context.User!), from, to, aggregationSizeMinutes, deviceIds, customerId, fill, timeZone,
            BucketFunctionSelection.Of(context), context.CancellationToken, keys, tags);

    private const string TimeZoneText = "An IANA time zone name, e.g. \"Europe/Berlin\". Buckets then align to local midnight: a size that divides a day follows the local clock (23 hourly buckets on the day clocks go forward, 25 on the day they go back), and a whole number of days covers calendar days (23 or 25 hours across a daylight-saving change). Times in the answer carry the zone's offset. Other sizes need UTC.";

    [Description("Per group of the customer's devices (by the value of the tag groupBy) and bucket, one answer over all the group's values of key: a group's mean is the mean of its devices' values, not a mean of their means. Devices without the tag form the group null. Arguments as in deviceAggregates.")]
    public static Task<IReadOnlyList<GroupAggregate>> GroupAggregates(
        IResolveFieldContext context,
        [FromServices] AggregateGroups aggregateGroups,
        string key,
        [Description("The tag whose value groups the devices (site).")] string groupBy,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        int? aggregationSizeMinutes = AggregateReadings.DefaultAggregationSizeMinutes,
        [Description("Only devices carrying every one of these tags.")] Tag[]? tags = null,
        [Description("As in deviceAggregates; PREVIOUS carries values within the range only.")] FillMode fill = FillMode.None,
        [Description(TimeZoneText)] string? timeZone = "UTC",
        [Description("Administrators: the customer whose devices to group (required for them). Customers may name only their own.")] Guid? customerId = null)
        => aggregateGroups.RunAsync(Caller.From(context.User!), key, groupBy, from, to, aggregationSizeMinutes, BucketFunctionSelection.Of(context), tags, fill, timeZone,
            customerId, context.CancellationToken);

    [Description("The newest value of each key of the caller's devices (of the devices, keys and tags named), with its time: exact at every moment, as aggregates are.")]
    public static Task<IReadOnlyList<LatestValue>> Latest(
        IResolveFieldContext context, [FromServices] ReadLatest readLatest,
        Guid[]? deviceIds = null, string[]? keys = null, Tag[]? tags = null,
        [Description("Administrators: only this customer. Customers may name only their own.")] Guid? customerId = null)
        => readLatest.RunAsync(Caller.From(context.User!), deviceIds, keys, tags, customerId, context.CancellationToken);

    [Description("The raw readings of the caller's devices in [from, to) (default: all), oldest first (readings of one time by device id), a page of first (1 to 1000, default 100) at a time: pass the page's endCursor as after for the next. Pages are keyset-based: readings that arrive while paging never shift or repeat one already returned; those later than the cursor appear on later pages. GET /api/export streams a whole range as CSV.")]
    public static Task<ReadingConnection> Readings(
        IResolveFieldContext context, [FromServices] ReadRawReadings readRawReadings,
        Guid[]? deviceIds = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int? first = null, string? after = null,
        [Description("Administrators: the customer whose readings to read (required for them). Customers may name only their own.")] Guid? customerId = null,
        [Description("Only these keys; leave out for every key.")] string[]? keys = null,
        [Description("Only devices carrying every one of these tags.")] Tag[]? tags = null)
        => readRawReadings.PageAsync(Caller.From(context.User!), deviceIds, from, to, first, after, customerId, context.CancellationToken, keys, tags);

    [Description("The devices that have sent readings, with their names, tags and keys and the span and count of their values.")]
    public static Task<IReadOnlyList<DeviceSummary>> Devices(
        IResolveFieldContext context, [FromServices] DevicesReader reader, Guid? customerId = null,
        [Description("Only the device with this name.")] string? name = null,
        [Description("Only devices carrying every one of these tags.")] Tag[]? tags = null)
    {
        if (tags is not null)
        {
            AggregateRequest.CheckSeriesFilters(null, tags);
        }

        return reader.ReadAsync(CustomerScope.For(Caller.From(context.User!), customerId), context.CancellationToken, new DeviceFilter(Name: name, Tags: tags));
    }

    [Description("Device tokens (never their secrets), revoked ones included.")]
    public static Task<IReadOnlyList<DeviceTokenSummary>> DeviceTokens(
        IResolveFieldContext context, [FromServices] ManageDeviceTokens manageDeviceTokens, Guid? deviceId = null,
        [Description("Administrators: only this customer. Customers may name only their own.")] Guid? customerId = null)
        => manageDeviceTokens.ListAsync(Caller.From(context.User!), customerId, deviceId, context.CancellationToken);

    [Description("A customer's retention: how long its readings and rollups are kept (null: forever) and how far they have been deleted. Customers see their own; administrators name the customerId.")]
    public static Task<RetentionPolicy> Retention(IResolveFieldContext context, [FromServices] ManageRetention manageRetention, Guid? customerId = null)
        => manageRetention.GetAsync(Caller.From(context.User!), customerId, context.CancellationToken);

    [Description("Administrators: how far the rollups are behind what was acknowledged (batches waiting for the materializer and the age of the oldest). Answers are exact whatever it says; a long lag only makes them read more readings.")]
    public static Task<RollupStatus> RollupStatus(IResolveFieldContext context, [FromServices] RollupMaterializer materializer)
    {
        CustomerScope.RequireAdmin(Caller.From(context.User!), "read the rollups' status");
        return materializer.StatusAsync(context.CancellationToken);
    }

    [Description("What the retention job removed, newest run first: a customer's own, or (administrators) one customer's or every customer's.")]
    public static Task<IReadOnlyList<RetentionRunSummary>> RetentionRuns(
        IResolveFieldContext context, [FromServices] ManageRetention manageRetention, Guid? customerId = null, int last = 20)
        => manageRetention.RunsAsync(Caller.From(context.User!), customerId, last, context.CancellationToken);

    [Description("The alert rules of the caller's customer (administrators: of the customer named, or every customer), with each rule's current state.")]
    public static Task<IReadOnlyList<AlertRuleSummary>> AlertRules(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts, Guid? deviceId = null,
        [Description("Administrators: only this customer. Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.RulesAsync(Caller.From(context.User!), deviceId, customerId, context.CancellationToken);

    [Description("The history of alerts: each rule's changes (RAISED, CLEARED) in [from, to) by reading time, newest first, at most last (1 to 1000, default 100).")]
    public static Task<IReadOnlyList<AlertRecord>> Alerts(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts, AlertChange? state = null, Guid[]? deviceIds = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null, int last = 100,
        [Description("Administrators: only this customer (leave out for every customer). Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.HistoryAsync(Caller.From(context.User!), state, deviceIds, from, to, last, customerId, context.CancellationToken);

    [Description("The customer's alert webhook (without its secret), or null.")]
    public static Task<AlertWebhookSummary?> AlertWebhook(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts,
        [Description("Administrators: the customer (required for them). Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.WebhookAsync(Caller.From(context.User!), customerId, context.CancellationToken);

    [Description("The customer's webhook deliveries, newest first: status, attempts, the last answer or error.")]
    public static Task<IReadOnlyList<AlertDeliverySummary>> AlertDeliveries(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts, int last = 100,
        [Description("Administrators: the customer (required for them). Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.DeliveriesAsync(Caller.From(context.User!), last, customerId, context.CancellationToken);
}
