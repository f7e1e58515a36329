using System.ComponentModel;
using GraphQL;
using IotAspire.Api.Aggregation;
using IotAspire.Api.Devices;
using IotAspire.Api.Retention;
using IotAspire.Api.Security;

namespace IotAspire.Api.Schema;

/// <summary>The read side of the API; every field is scoped to the caller's customer.</summary>
public sealed class Query
{
    [Description("Mean reading per device in time buckets of aggregationSizeMinutes over [from, to). Defaults: to = now, from = to - 30 days. Buckets are aligned to the Unix epoch in UTC, labelled by their start; empty buckets are left out unless fill says otherwise.")]
    public static Task<IReadOnlyList<DeviceAggregate>> DeviceAggregates(
        IResolveFieldContext context,
        [FromServices] AggregateReadings aggregateReadings,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        int? aggregationSizeMinutes = AggregateReadings.DefaultAggregationSizeMinutes,
        Guid[]? deviceIds = null,
        [Description("Administrators: only this customer. Customers may name only their own.")] Guid? customerId = null,
        [Description("What to answer for empty buckets: left out (NONE), or every bucket of the range with null (NULL), the previous value (PREVIOUS) or a straight line between neighbours (LINEAR). Devices without readings in the range stay absent.")] FillMode fill = FillMode.None)
        => aggregateReadings.RunAsync(Caller.From(context.User!), from, to, aggregationSizeMinutes, deviceIds, customerId, fill, context.CancellationToken);

    [Description("The devices that have sent readings, with the span and count of their readings.")]
    public static Task<IReadOnlyList<DeviceSummary>> Devices(
        IResolveFieldContext context, [FromServices] DevicesReader reader, Guid? customerId = null)
        => reader.ReadAsync(CustomerScope.For(Caller.From(context.User!), customerId), context.CancellationToken);

    [Description("Device tokens (never their secrets), revoked ones included.")]
    public static Task<IReadOnlyList<DeviceTokenSummary>> DeviceTokens(
        IResolveFieldContext context, [FromServices] ManageDeviceTokens manageDeviceTokens, Guid? deviceId = null,
        [Description("Administrators: only this customer. Customers may name only their own.")] Guid? customerId = null)
        => manageDeviceTokens.ListAsync(Caller.From(context.User!), customerId, deviceId, context.CancellationToken);

    [Description("A customer's retention: how long its readings and rollups are kept (null: forever) and how far they have been deleted. Customers see their own; administrators name the customerId.")]
    public static Task<RetentionPolicy> Retention(IResolveFieldContext context, [FromServices] ManageRetention manageRetention, Guid? customerId = null)
        => manageRetention.GetAsync(Caller.From(context.User!), customerId, context.CancellationToken);

    [Description("What the retention job removed, newest run first: a customer's own, or (administrators) one customer's or every customer's.")]
    public static Task<IReadOnlyList<RetentionRunSummary>> RetentionRuns(
        IResolveFieldContext context, [FromServices] ManageRetention manageRetention, Guid? customerId = null, int last = 20)
        => manageRetention.RunsAsync(Caller.From(context.User!), customerId, last, context.CancellationToken);
}
