using System.ComponentModel;

namespace IotAspire.Api.Alerts;

/// <summary>What a rule watches on its device. Stored as the GraphQL names (ABOVE, BELOW, NO_DATA, RATE_OF_CHANGE).</summary>
public enum AlertRuleKind
{
    [Description("Raised at the reading that completes minutes (at least) of readings all above threshold: every reading from the last one at or before its time minus minutes up to it. Cleared by the first reading at or below threshold after that.")]
    Above,

    [Description("As ABOVE, for readings below threshold.")]
    Below,

    [Description("Raised when the device has sent no reading for minutes, measured from its last reading (by reading time; from the rule's creation if it never sent one), at once for a device already silent that long; cleared by its next reading. Checked against the clock every few seconds.")]
    NoData,

    [Description("Raised at a reading whose change from the earliest reading of the preceding minutes, per minute, exceeds threshold in size (rising or falling); cleared at the first reading where it no longer does.")]
    RateOfChange,
}

/// <summary>A rule's state change.</summary>
public enum AlertChange
{
    [Description("The rule's condition began to hold.")]
    Raised,

    [Description("The rule's condition stopped holding.")]
    Cleared,
}

/// <summary>A rule (<c>AlertRule</c> in the schema), with its current state: the last change recorded, if any.</summary>
public sealed record AlertRuleSummary(
    Guid Id, Guid CustomerId, Guid DeviceId, string Name, AlertRuleKind Kind,
    [property: Description("ABOVE, BELOW: the value; RATE_OF_CHANGE: the change per minute; NO_DATA: null.")] double? Threshold,
    [property: Description("ABOVE, BELOW: how long the condition must hold; NO_DATA: how long without readings; RATE_OF_CHANGE: the window.")] int Minutes,
    [property: Description("A muted rule is not evaluated: it records and sends nothing until unmuted.")] bool Muted,
    [property: Description("RAISED while the condition holds, CLEARED after, null before its first change.")] AlertChange? State,
    DateTimeOffset? StateSince, DateTimeOffset CreatedAt, string CreatedBy)
{
    [Description("The key of the device whose values the rule watches (reading unless the rule names one).")]
    public string Key { get; init; } = "reading";
}

/// <summary>A recorded state change (<c>Alert</c> in the schema): the history, the subscription and the webhook send these.</summary>
public sealed record AlertRecord(
    long Id, Guid CustomerId, Guid RuleId, Guid DeviceId, AlertChange State,
    [property: Description("When the change happened, in reading time.")] DateTimeOffset At,
    [property: Description("The reading that caused it (for NO_DATA, the device's last reading before the silence, if any).")] DateTimeOffset? ReadingAt,
    double? Reading, string Message,
    [property: Description("When the API recorded it.")] DateTimeOffset RecordedAt);

/// <summary>One attempt log entry of the customer's webhook (<c>AlertDelivery</c> in the schema).</summary>
public sealed record AlertDeliverySummary(
    long Id, Guid CustomerId, long AlertId, string Url,
    [property: Description("PENDING (to be sent or retried), DELIVERED (a 2xx answer), FAILED (every attempt refused).")] string Status,
    int Attempts, DateTimeOffset NextAttemptAt, int? LastStatusCode, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt);

/// <summary>A customer's webhook (<c>AlertWebhook</c>): the secret is shown once, when it is set.</summary>
public sealed record AlertWebhookSummary(
    Guid CustomerId, string Url,
    [property: Description("The HMAC-SHA256 key of the IotAspire-Signature header: returned by setAlertWebhook only, null elsewhere.")] string? Secret,
    DateTimeOffset UpdatedAt, string UpdatedBy);
