using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotAspire.Tests.Infrastructure;

/// <summary>A device speaking MQTT to the API's listener (MQTTnet's client), with its device token as the user name.</summary>
public sealed class MqttDevice : IAsyncDisposable
{
    public const string TelemetryTopic = "v1/devices/me/telemetry";

    private readonly IMqttClient client = new MqttClientFactory().CreateMqttClient();
    private readonly TaskCompletionSource<MqttClientDisconnectedEventArgs> disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MqttDevice() => client.DisconnectedAsync += e =>
    {
        disconnected.TrySetResult(e);
        return Task.CompletedTask;
    };

    /// <summary>Connected, or the CONNACK's refusal as <see cref="MqttConnectRefusedException"/>.</summary>
    /// <param name="appHost">The system.</param>
    /// <param name="token">The device token, sent as the user name.</param>
    /// <param name="version">MQTT 5 unless given.</param>
    /// <param name="clientId">A new one unless given.</param>
    /// <param name="from">The loopback address to connect from (127.0.0.2, ...), for the per-address limits.</param>
    public static async Task<MqttDevice> ConnectAsync(
        RunningAppHost appHost, string token, MqttProtocolVersion version = MqttProtocolVersion.V500, string? clientId = null, string? from = null)
    {
        var device = new MqttDevice();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", appHost.MqttPort)
            .WithCredentials(token, "")
            .WithProtocolVersion(version)
            .WithClientId(clientId ?? Guid.NewGuid().ToString("N"))
            .WithTimeout(TimeSpan.FromSeconds(20))
            .Build();
        if (from is not null)
        {
            ((MqttClientTcpOptions)options.ChannelOptions).LocalEndpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(from), 0);
        }

        MqttClientConnectResult result;
        try
        {
            result = await device.client.ConnectAsync(options);
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException e)
        {
            // MQTTnet 5 names the CONNACK's code only in its message.
            await device.DisposeAsync();
            var code = Enum.GetValues<MqttClientConnectResultCode>().Where(c => c != MqttClientConnectResultCode.Success)
                .OrderByDescending(c => c.ToString().Length).FirstOrDefault(c => e.Message.Contains(c.ToString(), StringComparison.Ordinal), MqttClientConnectResultCode.UnspecifiedError);
            throw new MqttConnectRefusedException(code, e.Message, e);
        }
        catch
        {
            await device.DisposeAsync();
            throw;
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            await device.DisposeAsync();
            throw new MqttConnectRefusedException(result.ResultCode, result.ReasonString, null);
        }

        return device;
    }

    public bool IsConnected => client.IsConnected;

    /// <summary>Completes when the server ends the connection.</summary>
    public Task<MqttClientDisconnectedEventArgs> Disconnected => disconnected.Task;

    public Task<MqttClientPublishResult> PublishAsync(string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce, string topic = TelemetryTopic) =>
        client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(payload)).WithQualityOfServiceLevel(qos).Build());

    public Task<MqttClientSubscribeResult> SubscribeAsync(string topic) => client.SubscribeAsync(topic);

    public async ValueTask DisposeAsync()
    {
        if (client.IsConnected)
        {
            try
            {
                await client.DisconnectAsync();
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
            {
            }
        }

        client.Dispose();
    }
}

/// <summary>The server refused the connection in its CONNACK.</summary>
public sealed class MqttConnectRefusedException(MqttClientConnectResultCode resultCode, string? reason, Exception? inner)
    : Exception($"CONNACK {resultCode}: {reason}", inner)
{
    public MqttClientConnectResultCode ResultCode { get; } = resultCode;
}
