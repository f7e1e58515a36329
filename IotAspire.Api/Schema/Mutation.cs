using System.ComponentModel;
using GraphQL;
using IotAspire.Api.Alerts;
using IotAspire.Api.Devices;
using IotAspire.Api.Ingestion;
using IotAspire.Api.Retention;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Schema;

/// <summary>The write side of the API: devices send their readings here.</summary>
public sealed class Mutation
{
    [Description("Stores a batch of readings atomically: all of them or none. Sending a reading again is harmless (same value: unchanged; new value: updated).")]
    public static Task<IngestOutcome.Stored> IngestReadings(
        IResolveFieldContext context, [FromServices] IngestReadings ingestReadings, SentReading[] readings)
        => ingestReadings.RunAsync(Caller.From(context.User!), readings, context.CancellationToken);

    [Description("Stores a batch of messages, each several named values of one device at one time (temperature, humidity, battery): all of them or none, idempotent per device, key and time as ingestReadings is. The batch limit counts values.")]
    public static Task<IngestOutcome.Stored> IngestMessages(
        IResolveFieldContext context, [FromServices] IngestReadings ingestReadings, SentMessage[] messages)
        => ingestReadings.RunMessagesAsync(Caller.From(context.User!), messages, context.CancellationToken);

    [Description("Sets one of the customer's devices' name (unique among its devices; \"\" removes it; left out: unchanged) and tags (they replace the device's tags; [] removes them; left out: unchanged). Administrators: the device's owner's, or the customerId named.")]
    public static Task<DeviceSummary> SetDeviceAttributes(
        IResolveFieldContext context, [FromServices] ManageDevices manageDevices, Guid deviceId, string? name = null, Tag[]? tags = null,
        [Description("Administrators: the device's customer (default: its owner). Customers may name only their own.")] Guid? customerId = null)
        => manageDevices.SetAttributesAsync(Caller.From(context.User!), deviceId, name, tags, customerId, context.CancellationToken);

    [Description("Administrators: registers a device to a customer, or moves it to another; no other customer can then claim it. Readings already stored stay with the customer that sent them.")]
    public static Task<DeviceSummary> RegisterDevice(
        IResolveFieldContext context, [FromServices] ManageDevices manageDevices, Guid deviceId, Guid customerId)
        => manageDevices.RegisterAsync(Caller.From(context.User!), deviceId, customerId, context.CancellationToken);

    [Description("Creates a device token: a long-lived secret, shown only in this answer, that lets one device send its own readings (ingestReadings) and nothing else. Customers for their own devices (a device no one has claimed becomes theirs); administrators name the customerId.")]
    public static Task<CreatedDeviceToken> CreateDeviceToken(
        IResolveFieldContext context, [FromServices] ManageDeviceTokens manageDeviceTokens, Guid deviceId,
        [Description("Administrators: the customer the device belongs to. Customers may name only their own.")] Guid? customerId = null)
        => manageDeviceTokens.CreateAsync(Caller.From(context.User!), deviceId, customerId, context.CancellationToken);

    [Description("Revokes a device token: within seconds it no longer signs anything in. Revoking twice is harmless.")]
    public static Task<DeviceTokenSummary> RevokeDeviceToken(IResolveFieldContext context, [FromServices] ManageDeviceTokens manageDeviceTokens, Guid id)
        => manageDeviceTokens.RevokeAsync(Caller.From(context.User!), id, context.CancellationToken);

    [Description("Administrators: removes a device's registration (its readings stay). Returns false when there was no such device.")]
    public static Task<bool> RemoveDevice(IResolveFieldContext context, [FromServices] ManageDevices manageDevices, Guid deviceId)
        => manageDevices.RemoveAsync(Caller.From(context.User!), deviceId, context.CancellationToken);

    [Description("Administrators: sets how many days a customer's raw readings are kept, and its rollups (at least as long); null keeps them forever (the default). The retention job deletes what is older, in bounded batches; ingest then refuses readings older than what is kept, and deviceAggregates answers older ranges from the kept rollups and says so (incompleteBefore).")]
    public static Task<RetentionPolicy> SetRetention(
        IResolveFieldContext context, [FromServices] ManageRetention manageRetention, Guid customerId, int? keepReadingsDays = null, int? keepRollupsDays = null)
        => manageRetention.SetAsync(Caller.From(context.User!), customerId, keepReadingsDays, keepRollupsDays, context.CancellationToken);

    [Description("Administrators: runs the retention job now, for every customer with a period, and returns what it removed.")]
    public static Task<IReadOnlyList<RetentionRunSummary>> RunRetention(IResolveFieldContext context, [FromServices] ManageRetention manageRetention)
        => manageRetention.RunNowAsync(Caller.From(context.User!), context.CancellationToken);

    [Description("Creates an alert rule on one of the customer's devices: ABOVE or BELOW a threshold for at least minutes, NO_DATA for minutes, or RATE_OF_CHANGE above threshold per minute over a window of minutes. Each change of its state is recorded once (alerts), sent to alertChanged subscribers and to the customer's webhook.")]
    public static Task<AlertRuleSummary> CreateAlertRule(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts, Guid deviceId, AlertRuleKind kind, int minutes, double? threshold = null, string? name = null,
        [Description("Administrators: the customer (default: the device's owner). Customers may name only their own.")] Guid? customerId = null,
        [Description("The device's key whose values the rule watches (temperature); reading when left out.")] string? key = null)
        => manageAlerts.CreateRuleAsync(Caller.From(context.User!), deviceId, kind, threshold, minutes, name, customerId, context.CancellationToken, key);

    [Description("Mutes (muted: true) or unmutes an alert rule. A muted rule is not evaluated: nothing is recorded or sent for it until unmuted.")]
    public static Task<AlertRuleSummary> MuteAlertRule(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts, Guid id, bool muted = true,
        [Description("Administrators: the customer (required for them). Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.MuteRuleAsync(Caller.From(context.User!), id, muted, customerId, context.CancellationToken);

    [Description("Deletes an alert rule; the changes it recorded stay in the history. Returns its id.")]
    public static Task<Guid> DeleteAlertRule(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts, Guid id,
        [Description("Administrators: the customer (required for them). Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.DeleteRuleAsync(Caller.From(context.User!), id, customerId, context.CancellationToken);

    [Description("Sets the customer's alert webhook: every change is POSTed there as JSON, signed in the IotAspire-Signature header (t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">) with the secret returned here, and only here; retried with exponential backoff. The URL must reach a public address (not this API, loopback, private or metadata addresses). Setting it again makes a new secret.")]
    public static Task<AlertWebhookSummary> SetAlertWebhook(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts, string url,
        [Description("Administrators: the customer (required for them). Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.SetWebhookAsync(Caller.From(context.User!), url, customerId, context.CancellationToken);

    [Description("Removes the customer's alert webhook; deliveries not sent yet are marked FAILED. Returns false when there was none.")]
    public static Task<bool> DeleteAlertWebhook(
        IResolveFieldContext context, [FromServices] ManageAlerts manageAlerts,
        [Description("Administrators: the customer (required for them). Customers may name only their own.")] Guid? customerId = null)
        => manageAlerts.DeleteWebhookAsync(Caller.From(context.User!), customerId, context.CancellationToken);
}
