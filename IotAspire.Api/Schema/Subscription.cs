using System.ComponentModel;
using GraphQL;
using IotAspire.Api.Aggregation;
using IotAspire.Api.Alerts;
using IotAspire.Api.LiveUpdates;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Schema;

/// <summary>Live updates, over WebSocket (graphql-transport-ws) on the GraphQL endpoint; scoped like queries.</summary>
public sealed class Subscription
{
    [Description("The values of the caller's devices as each batch commits (stored or changed; a resent identical value is not sent again), one list per device, key and batch, each value with its key. Never before commit, never another customer's.")]
    public static Task<IAsyncEnumerable<IReadOnlyList<StoredReading>>> ReadingsIngested(
        IResolveFieldContext context, [FromServices] WatchReadings watchReadings,
        [Description("Only these devices; leave out for all of the customer's devices.")] Guid[]? deviceIds = null,
        [Description("Administrators: only this customer (leave out for every customer). Customers may name only their own.")] Guid? customerId = null,
        [Description("Only these keys; leave out for every key.")] string[]? keys = null)
        => watchReadings.ReadingsIngestedAsync(Caller.From(context.User!), deviceIds, customerId, context.CancellationToken, keys);

    [Description("After each committed batch of the caller's devices, the buckets of aggregationSizeMinutes it changed, with the selected functions over everything stored in them (as deviceAggregates gives them). Buckets are aligned as in deviceAggregates.")]
    public static Task<IAsyncEnumerable<DeviceAggregate>> DeviceAggregateUpdated(
        IResolveFieldContext context, [FromServices] WatchReadings watchReadings,
        Guid[]? deviceIds = null,
        int? aggregationSizeMinutes = AggregateReadings.DefaultAggregationSizeMinutes,
        [Description("Administrators: only this customer (leave out for every customer). Customers may name only their own.")] Guid? customerId = null,
        [Description("Only these keys; leave out for every key (each update names its key).")] string[]? keys = null)
        => watchReadings.DeviceAggregateUpdatedAsync(Caller.From(context.User!), deviceIds, aggregationSizeMinutes, customerId,
            BucketFunctionSelection.Of(context), context.CancellationToken, keys);

    [Description("Each alert change of the caller's devices as it is recorded (after commit), from now on; the history is in alerts.")]
    public static IAsyncEnumerable<AlertRecord> AlertChanged(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts,
        [Description("Only these devices; leave out for all of the customer's devices.")] Guid[]? deviceIds = null,
        [Description("Administrators: only this customer (leave out for every customer). Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.Watch(Caller.From(context.User!), deviceIds, customerId, context.CancellationToken);
}
