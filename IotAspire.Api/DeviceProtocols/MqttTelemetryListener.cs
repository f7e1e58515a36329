using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using IotAspire.Api.Devices;
using IotAspire.Api.Errors;
using IotAspire.Api.Security;
using IotAspire.Shared.Security;
using Microsoft.Extensions.Options;
using MQTTnet.AspNetCore;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotAspire.Api.DeviceProtocols;

/// <summary>
/// The MQTT listener (3.1.1 and 5), hosted in the API: devices connect with their device token as the user name, as
/// ThingsBoard's devices do, and publish telemetry to <see cref="TelemetryTopic"/> (<see cref="TelemetryPayload"/>).
/// It is a device endpoint, not a broker: nothing published is routed to anyone or retained, and subscriptions are
/// refused (live data is read through the API's GraphQL subscriptions, which keep to each customer's own).
/// <para>
/// A QoS 1 message is acknowledged (PUBACK) only once its values are committed (<see cref="TelemetryGroupCommit"/>); a
/// QoS 2 message, likewise at PUBREC (storing is idempotent, so a resend changes nothing). A payload refused (bad JSON,
/// a text value, another device's id) stores nothing: MQTT 5 hears why in the PUBACK's reason code and string; MQTT
/// 3.1.1 has no way to say it, so the connection is closed, as ThingsBoard does. When the database cannot take a message
/// now, the connection is closed without an acknowledgement, so the device sends it again after reconnecting.
/// </para>
/// </summary>
public sealed class MqttTelemetryListener(
    IOptions<DeviceProtocolsOptions> options, MqttConnectionHandler connections, DeviceTokenValidator tokens, FailedTokenThrottle throttle, TelemetryGroupCommit commits,
    TimeProvider clock, ILogger<MqttTelemetryListener> logger) : BackgroundService
{
    public const string TelemetryTopic = "v1/devices/me/telemetry";
    public const string MeterName = "IotAspire.DeviceProtocols";

    private const string DeviceItem = "iotaspire.device";
    private const string TokenItem = "iotaspire.token";
    private const string VersionItem = "iotaspire.protocol";
    private const string HoldItem = "iotaspire.hold";

    /// <summary>
    /// How long a connection may take to send its CONNECT (and a packet its bytes): a client that connects and then stalls
    /// is closed after this, before any token is checked (MQTTnet's own default is 100 s).
    /// </summary>
    public static readonly TimeSpan CommunicationTimeout = TimeSpan.FromSeconds(10);

    // One listener a process: its meter lives as long as the process.
    private static readonly Meter Meter = new(MeterName);
    private MqttServer? server;

    // Which device holds each client id: a client id of another device's live session is refused, so that one device
    // cannot take over another's session (MQTT ends the older session of a client id).
    // A session's hold is its own: a device reconnecting with its id takes the id over, and the old session's end must not
    // release the new one's hold.
    private readonly ConcurrentDictionary<string, (Guid Device, Guid Session)> clientDevices = new(StringComparer.Ordinal);

    // Devices whose refused payloads were logged: once per device per process, counted always.
    private readonly ConcurrentDictionary<Guid, byte> loggedRefusals = new();
    private readonly Counter<long> values = Meter.CreateCounter<long>("iotaspire.mqtt.values", "{value}", "Values stored from MQTT messages.");
    private readonly Counter<long> refused = Meter.CreateCounter<long>("iotaspire.mqtt.refused", "{message}", "MQTT messages refused, by reason (nothing of them stored).");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.MqttPort == 0)
        {
            logger.LogInformation("MQTT is off (DeviceProtocols:MqttPort is 0)");
            return;
        }

        // Connections come from Kestrel (MqttKestrelListener), not from MQTTnet's own TCP endpoints.
        server = new MqttServerFactory().CreateMqttServer(
            new MqttServerFactory().CreateServerOptionsBuilder().WithoutDefaultEndpoint().WithPersistentSessions(false)
                .WithDefaultCommunicationTimeout(CommunicationTimeout).Build(), [connections]);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.ClientDisconnectedAsync += e =>
        {
            if (e.SessionItems[HoldItem] is ValueTuple<Guid, Guid> hold)
            {
                clientDevices.TryRemove(new KeyValuePair<string, (Guid, Guid)>(e.ClientId, hold));
            }

            return Task.CompletedTask;
        };
        server.InterceptingPublishAsync += PublishAsync;
        server.InterceptingSubscriptionAsync += e =>
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            e.ReasonString = $"This server takes telemetry on {TelemetryTopic}; it sends nothing to devices. Read live data through the API's GraphQL subscriptions.";
            return Task.CompletedTask;
        };
        await server.StartAsync();
        logger.LogInformation("MQTT listening on port {Port}{Tls}", settings.MqttPort,
            settings.MqttCertificatePath.Length > 0 && settings.MqttTlsPort != 0 ? $" and, over TLS, on {settings.MqttTlsPort}" : " (no TLS: DeviceProtocols:MqttCertificatePath is empty)");
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Ends the sessions of revoked tokens: every <see cref="DeviceProtocolsOptions.RevocationSweep"/>, each live session's token is checked again.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationSweep, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                foreach (var client in await server!.GetClientsAsync())
                {
                    if (client.Session.Items[TokenItem] is string token && await tokens.ValidateAsync(token, stoppingToken) is null)
                    {
                        logger.LogInformation("Disconnecting MQTT client {ClientId}: its device token is revoked", client.Id);
                        await client.DisconnectAsync(new MqttServerClientDisconnectOptions
                        {
                            ReasonCode = MqttDisconnectReasonCode.NotAuthorized,
                            ReasonString = "This device token was revoked; connect with a valid one.",
                        });
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Checking the MQTT sessions' tokens failed; trying again in {Interval}", options.Value.RevocationSweep);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (server is not null)
        {
            await server.StopAsync();
        }

        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        server?.Dispose();
        base.Dispose();
    }

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var address = (e.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "unknown";
        if (throttle.RetryAfter(address) is not null)
        {
            e.ReasonCode = MqttConnectReasonCode.QuotaExceeded;
            e.ReasonString = "Too many failed device tokens from this address; try again in a minute.";
            return;
        }

        StoredDeviceToken? token;
        try
        {
            token = await tokens.ValidateAsync(e.UserName ?? "", e.CancellationToken);
        }
        catch (Exception failure) when (ApiErrors.FromDatabaseFailure(failure) is not null)
        {
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
            e.ReasonString = "The database is not reachable right now; connect again shortly.";
            return;
        }

        if (token is null)
        {
            throttle.CountFailure(address, "MQTT device token");
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            e.ReasonString = "Connect with a device token (iotd_...) as the user name; this one is missing, unknown or revoked.";
            return;
        }

        if (string.IsNullOrEmpty(e.ClientId))
        {
            // MQTT lets a client leave its id to the server (mosquitto_pub does): one of its own, per connection.
            e.AssignedClientIdentifier = $"{token.DeviceId:N}-{Guid.NewGuid():N}";
        }
        else if (clientDevices.TryGetValue(e.ClientId, out var holder) && holder.Device != token.DeviceId)
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            e.ReasonString = "Another device is connected with this client id; give each device a client id of its own (or none).";
            return;
        }

        var held = (token.DeviceId, Guid.NewGuid());
        clientDevices[e.AssignedClientIdentifier ?? e.ClientId] = held;
        e.SessionItems[HoldItem] = held;
        e.SessionItems[DeviceItem] = token.AsCaller();
        e.SessionItems[TokenItem] = e.UserName;
        e.SessionItems[VersionItem] = e.ProtocolVersion;
    }

    private async Task PublishAsync(InterceptingPublishEventArgs e)
    {
        e.ProcessPublish = false;   // a device endpoint, not a broker: nothing is routed on or retained
        if (e.SessionItems[DeviceItem] is not Caller device)
        {
            e.CloseConnection = true;
            return;
        }

        var message = e.ApplicationMessage;
        if (message.Topic != TelemetryTopic)
        {
            Refuse(e, device, MqttPubAckReasonCode.TopicNameInvalid, "topic",
                $"Publish telemetry to {TelemetryTopic}; \"{TelemetryPayload.Shortened(message.Topic)}\" is not a topic of this server.");
            return;
        }

        IReadOnlyList<Ingestion.SentMessage> messages;
        try
        {
            var payload = message.Payload;
            messages = TelemetryPayload.Parse(payload.IsSingleSegment ? payload.First : payload.ToArray(), device.DeviceId!.Value, clock.GetUtcNow());
        }
        catch (ApiErrorException error)
        {
            Refuse(e, device, MqttPubAckReasonCode.PayloadFormatInvalid, "payload", error.Message);
            return;
        }

        switch (await commits.WriteAsync(device, messages, e.CancellationToken))
        {
            case TelemetryOutcome.Stored stored:
                values.Add(stored.Values);
                break;
            case TelemetryOutcome.Refused(var error):
                Refuse(e, device, error.Code == ApiErrors.Forbidden ? MqttPubAckReasonCode.NotAuthorized : MqttPubAckReasonCode.PayloadFormatInvalid,
                    error.Code == ApiErrors.Forbidden ? "not allowed" : "values", error.Message);
                break;
            case TelemetryOutcome.NotStoredNow(var reason):
                // No acknowledgement: the device keeps the message and sends it again once it has reconnected.
                logger.LogWarning("Closing MQTT client {ClientId} without acknowledging its message: {Reason}", e.ClientId, reason);
                e.CloseConnection = true;
                break;
        }
    }

    private void Refuse(InterceptingPublishEventArgs e, Caller device, MqttPubAckReasonCode code, string reason, string text)
    {
        refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
        if (loggedRefusals.TryAdd(device.DeviceId!.Value, 0))
        {
            logger.LogWarning("Refused an MQTT message of device {DeviceId} (logged once per device; iotaspire.mqtt.refused counts them all): {Reason}", device.DeviceId, text);
        }

        if (e.SessionItems[VersionItem] is MqttProtocolVersion.V500)
        {
            e.Response.ReasonCode = code;
            e.Response.ReasonString = text;
        }
        else
        {
            e.CloseConnection = true;   // MQTT 3.1.1 cannot say why: the connection ends, as ThingsBoard ends it
        }
    }

}
