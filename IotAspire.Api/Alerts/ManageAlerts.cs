using System.Runtime.CompilerServices;
using IotAspire.Api.Errors;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Readings;
using IotAspire.Api.Security;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.Alerts;

/// <summary>
/// The alerts' use cases: a customer's rules on its own devices (an administrator's for any customer it names), the
/// history of changes, the live feed, and the webhook with its delivery log. Every one scoped by <see cref="CustomerScope"/>.
/// </summary>
public sealed class ManageAlerts(AlertStore store, WebhookStore webhooks, AlertFeed feed, IOptions<AlertsOptions> options, OwnEndpoints ownEndpoints)
{
    public const int MaxHistory = 1_000;

    public async Task<AlertRuleSummary> CreateRuleAsync(
        Caller caller, Guid deviceId, AlertRuleKind kind, double? threshold, int minutes, string? name, Guid? customerId, CancellationToken ct,
        string? key = null)
    {
        AlertRuleRules.Check(kind, threshold, minutes, name);
        key = key is null ? TelemetryKey.Default : TelemetryKey.Check(key, "key");
        var owner = await store.DeviceOwnerAsync(deviceId, ct);
        var customer = Named(caller, customerId ?? (caller.IsAdmin ? owner : null), "create an alert rule");
        if (owner is { } claimedBy && claimedBy != customer)
        {
            throw ApiErrors.NotAllowed($"Device {deviceId} is not one of customer {customer}'s devices; rules watch a customer's own devices.");
        }

        if (await store.CountRulesAsync(customer, ct) >= AlertRuleRules.MaxRulesPerCustomer)
        {
            throw ApiErrors.BadInput($"A customer may have at most {AlertRuleRules.MaxRulesPerCustomer} alert rules; delete some first.");
        }

        return await store.CreateRuleAsync(customer, deviceId, key, name ?? "", kind, threshold, minutes, caller.UserName, ct);
    }

    public Task<IReadOnlyList<AlertRuleSummary>> RulesAsync(Caller caller, Guid? deviceId, Guid? customerId, CancellationToken ct) =>
        store.ListRulesAsync(CustomerScope.For(caller, customerId), deviceId, ct);

    public async Task<AlertRuleSummary> MuteRuleAsync(Caller caller, Guid id, bool muted, Guid? customerId, CancellationToken ct) =>
        await store.SetMutedAsync(Named(caller, customerId, "mute an alert rule"), id, muted, ct) ?? throw NoRule(id);

    public async Task<Guid> DeleteRuleAsync(Caller caller, Guid id, Guid? customerId, CancellationToken ct) =>
        await store.DeleteRuleAsync(Named(caller, customerId, "delete an alert rule"), id, ct) ? id : throw NoRule(id);

    public Task<IReadOnlyList<AlertRecord>> HistoryAsync(
        Caller caller, AlertChange? state, IReadOnlyList<Guid>? deviceIds, DateTimeOffset? from, DateTimeOffset? to, int last, Guid? customerId, CancellationToken ct)
    {
        var scope = CustomerScope.For(caller, customerId);
        if (from is { } f)
        {
            ReadingTime.Check(f, "from");
        }

        if (to is { } t)
        {
            ReadingTime.Check(t, "to");
        }

        if (last is < 1 or > MaxHistory)
        {
            throw ApiErrors.BadInput($"last must be between 1 and {MaxHistory}, not {last}.");
        }

        if (deviceIds is { Count: > AggregateRequest.MaxDeviceIds })
        {
            throw ApiErrors.BadInput($"deviceIds may name at most {AggregateRequest.MaxDeviceIds} devices, not {deviceIds.Count}.");
        }

        return store.HistoryAsync(scope, state, deviceIds, from ?? ReadingTime.Earliest, to ?? ReadingTime.End, last, ct);
    }

    /// <summary><c>alertChanged</c>: each change recorded from now on, of the caller's customer (and devices, if named).</summary>
    public IAsyncEnumerable<AlertRecord> Watch(Caller caller, IReadOnlyList<Guid>? deviceIds, Guid? customerId, CancellationToken ct)
    {
        var scope = CustomerScope.For(caller, customerId);
        if (deviceIds is { Count: > AggregateRequest.MaxDeviceIds })
        {
            throw ApiErrors.BadInput($"deviceIds may name at most {AggregateRequest.MaxDeviceIds} devices, not {deviceIds.Count}.");
        }

        var subscription = feed.Subscribe(scope, deviceIds);
        ct.Register(subscription.Dispose);
        return Stream(subscription, ct);
    }

    private static async IAsyncEnumerable<AlertRecord> Stream(AlertFeed.Subscription subscription, [EnumeratorCancellation] CancellationToken ct)
    {
        using (subscription)
        {
            await foreach (var alert in subscription.Changes.ReadAllAsync(ct))
            {
                yield return alert;
            }
        }
    }

    public async Task<AlertWebhookSummary> SetWebhookAsync(Caller caller, string url, Guid? customerId, CancellationToken ct)
    {
        var customer = Named(caller, customerId, "set an alert webhook");
        var checkedUrl = await WebhookTarget.CheckAsync(url, options.Value.AllowPrivateWebhookTargets, ownEndpoints.Hosts(), ct);
        return await webhooks.SetAsync(customer, checkedUrl.AbsoluteUri, WebhookSignature.NewSecret(), caller.UserName, ct);
    }

    public Task<AlertWebhookSummary?> WebhookAsync(Caller caller, Guid? customerId, CancellationToken ct) =>
        webhooks.GetAsync(Named(caller, customerId, "read an alert webhook"), ct);

    public async Task<bool> DeleteWebhookAsync(Caller caller, Guid? customerId, CancellationToken ct) =>
        await webhooks.DeleteAsync(Named(caller, customerId, "delete an alert webhook"), ct);

    public Task<IReadOnlyList<AlertDeliverySummary>> DeliveriesAsync(Caller caller, int last, Guid? customerId, CancellationToken ct) =>
        last is < 1 or > MaxHistory
            ? throw ApiErrors.BadInput($"last must be between 1 and {MaxHistory}, not {last}.")
            : webhooks.DeliveriesAsync(Named(caller, customerId, "read alert deliveries"), last, ct);

    /// <summary>The one customer a change is for: a customer's own; an administrator names it.</summary>
    private static Guid Named(Caller caller, Guid? customerId, string what) =>
        CustomerScope.For(caller, customerId) ?? throw ApiErrors.BadInput($"Name the customerId to {what} for.");

    private static ApiErrorException NoRule(Guid id) => ApiErrors.BadInput($"There is no alert rule {id} of this customer; list them with alertRules.");
}
