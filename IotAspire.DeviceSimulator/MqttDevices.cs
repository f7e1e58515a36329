using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotAspire.DeviceSimulator;

/// <summary>
/// The simulated devices over MQTT, as real ones connect: one connection per device, its device token as the user name,
/// its readings as ThingsBoard's timed telemetry (<c>[{"ts": ..., "values": {"reading": ...}}]</c>) at QoS 1 on
/// <c>v1/devices/me/telemetry</c>. A connection is made on a device's first message and again after it drops.
/// </summary>
public sealed class MqttDevices(Uri server) : IAsyncDisposable
{
    public const string TelemetryTopic = "v1/devices/me/telemetry";

    private readonly Dictionary<Guid, IMqttClient> clients = [];

    /// <summary>Sends the batch as one message; completes on its PUBACK (the values are stored).</summary>
    public async Task PublishAsync(Guid device, string token, IReadOnlyList<SimulatedReading> batch, CancellationToken ct)
    {
        var client = await ConnectedAsync(device, token, ct);
        var payload = new StringBuilder("[");
        foreach (var reading in batch)
        {
            payload.Append(CultureInfo.InvariantCulture, $$$"""{"ts": {{{reading.Timestamp.ToUnixTimeMilliseconds()}}}, "values": {"reading": {{{reading.Reading.ToString("R", CultureInfo.InvariantCulture)}}}}},""");
        }

        payload[^1] = ']';
        var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(TelemetryTopic)
            .WithPayload(Encoding.UTF8.GetBytes(payload.ToString())).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
        if (!result.IsSuccess)
        {
            throw new SimulatorException($"the API refused the MQTT message of {device}: {result.ReasonCode} {result.ReasonString}",
                retryable: result.ReasonCode is not (MqttClientPublishReasonCode.PayloadFormatInvalid or MqttClientPublishReasonCode.NotAuthorized));
        }
    }

    private async Task<IMqttClient> ConnectedAsync(Guid device, string token, CancellationToken ct)
    {
        if (clients.TryGetValue(device, out var client) && client.IsConnected)
        {
            return client;
        }

        client?.Dispose();
        client = new MqttClientFactory().CreateMqttClient();
        clients[device] = client;
        var result = await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer(server.Host, server.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCredentials(token, "")
            .WithClientId($"simulator-{device:N}")
            .Build(), ct);
        return result.ResultCode == MqttClientConnectResultCode.Success ? client
            : throw new SimulatorException($"the API refused the MQTT connection of {device} ({result.ResultCode}): {result.ReasonString}",
                retryable: result.ResultCode is not (MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients.Values)
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync();
            }

            client.Dispose();
        }
    }
}
