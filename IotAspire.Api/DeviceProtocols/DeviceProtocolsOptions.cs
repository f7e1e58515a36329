using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.DeviceProtocols;

/// <summary>Configured under <c>DeviceProtocols</c>; checked at start.</summary>
public sealed class DeviceProtocolsOptions : IValidatableObject
{
    public const string Section = "DeviceProtocols";

    /// <summary>The MQTT listener's TCP port (1883, MQTT's own); 0 turns MQTT off. The AppHost sets it from <c>Ports:Mqtt</c>.</summary>
    [Range(0, 65_535)]
    public int MqttPort { get; set; } = 1883;

    /// <summary>MQTT over TLS (8883) when <see cref="MqttCertificatePath"/> names a certificate; 0 turns it off.</summary>
    [Range(0, 65_535)]
    public int MqttTlsPort { get; set; } = 8883;

    /// <summary>A PKCS#12 (.pfx) file with the server certificate and its key, for MQTT over TLS; empty: no TLS listener.</summary>
    public string MqttCertificatePath { get; set; } = "";

    public string MqttCertificatePassword { get; set; } = "";

    /// <summary>
    /// The largest MQTT packet taken (1 MiB): a connection whose packet declares more is ended before the rest arrives.
    /// A payload holds at most 10 000 values (<see cref="TelemetryPayload.MaxValues"/>), about 300 KB of JSON.
    /// </summary>
    [Range(1_024, 268_435_455)]
    public int MqttMaxPacketBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long the group commit waits for more messages once it holds one: messages from every connection within it
    /// share one transaction and one commit. A device's acknowledgement waits this long at most beyond the write.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan GroupCommitWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The most values one group commit writes (it writes sooner when it has them).</summary>
    [Range(1, 100_000)]
    public int GroupCommitMaxValues { get; set; } = 10_000;

    /// <summary>Group commits writing at once, each its own connection and transaction.</summary>
    [Range(1, 16)]
    public int GroupCommitWriters { get; set; } = 2;

    /// <summary>
    /// Messages waiting for a group commit, across all connections. When it is full, the listener stops reading from
    /// the devices' sockets until there is room (backpressure: TCP then holds the devices back), so memory stays flat.
    /// </summary>
    [Range(1, 1_000_000)]
    public int GroupCommitQueue { get; set; } = 20_000;

    /// <summary>How often live MQTT sessions' tokens are checked again: a revoked token's sessions end within this and the token cache's 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RevocationSweep { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MqttPort != 0 && MqttPort == MqttTlsPort && MqttCertificatePath.Length > 0)
        {
            yield return new ValidationResult($"DeviceProtocols:MqttPort and MqttTlsPort are both {MqttPort}; give MQTT over TLS a port of its own (8883).");
        }

        if (MqttCertificatePath.Length > 0 && !File.Exists(MqttCertificatePath))
        {
            yield return new ValidationResult($"DeviceProtocols:MqttCertificatePath names {MqttCertificatePath}, which does not exist; give the path of a .pfx file, or leave it empty for no TLS.");
        }
    }
}
