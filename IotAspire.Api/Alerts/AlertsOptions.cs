using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.Alerts;

/// <summary>The <c>Alerts</c> section: how often rules are evaluated and how webhooks are sent (checked at start).</summary>
public sealed class AlertsOptions
{
    public const string Section = "Alerts";

    public bool Enabled { get; set; } = true;

    /// <summary>How often committed readings are evaluated (threshold and rate rules): an alert's delay past the rollups'.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often NO_DATA rules are checked against the clock.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan NoDataInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per webhook delivery before it is FAILED.</summary>
    [Range(1, 20)]
    public int WebhookMaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failed attempt; it doubles after each (10 s, 20 s, ... about 21 min before the 8th).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan WebhookFirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether webhooks may target private networks and loopback (10/8, 172.16/12, 192.168/16, fc00::/7, 127/8, ::1):
    /// off by default, since a customer's URL must not reach what only the API's network can. Link-local and
    /// cloud metadata addresses, and the API's own endpoints, are refused even then.
    /// </summary>
    public bool AllowPrivateWebhookTargets { get; set; }
}
