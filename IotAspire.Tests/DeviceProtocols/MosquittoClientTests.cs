using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.DeviceProtocols;

/// <summary>
/// The MQTT listener with a client not written here: Debian's <c>mosquitto_pub</c>, as the README shows it (MQTT 3.1.1
/// with a client id, MQTT 5 without one: the server assigns it; QoS 1).
/// </summary>
[Collection(AppHostCollection.Name)]
[NeedsTool("mosquitto_pub", "sudo apt-get install mosquitto-clients")]
public class MosquittoClientTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private Task<(int ExitCode, string Output)> PublishAsync(string token, string payload, params string[] options) =>
        ExternalProgram.RunAsync("mosquitto_pub",
            ["-h", "127.0.0.1", "-p", fixture.AppHost.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-u", token, "-t", MqttDevice.TelemetryTopic, "-q", "1", "-m", payload, .. options],
            TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Mosquitto_pub_stores_with_a_good_token_and_is_refused_with_a_bad_one()
    {
        var (customer, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var (token, _) = await MqttTelemetryTests.DeviceTokenAsync(graphQL, customer, device);

        // MQTT 3.1.1 with a client id of its own; MQTT 5 may leave it to the server (MQTTnet assigns ids only over 5).
        Assert.Equal(0, (await PublishAsync(token, """{"ts": 1775001600000, "values": {"temperature": 21.5}}""", "-i", "meter-" + device.ToString("N"))).ExitCode);
        Assert.Equal(0, (await PublishAsync(token, """{"ts": 1775001660000, "values": {"temperature": 22.5}}""", "-V", "mqttv5")).ExitCode);
        Assert.Equal(
            [("temperature", DateTimeOffset.FromUnixTimeMilliseconds(1775001600000), 21.5), ("temperature", DateTimeOffset.FromUnixTimeMilliseconds(1775001660000), 22.5)],
            await MqttTelemetryTests.StoredAsync(fixture.AppHost, device));

        var (badExit, badOutput) = await PublishAsync("iotd_made-up", """{"temperature": 1}""", "-i", "meter-" + device.ToString("N"));
        Assert.NotEqual(0, badExit);
        Assert.Contains("bad user name or password", badOutput, StringComparison.OrdinalIgnoreCase);

        var (textExit, textOutput) = await PublishAsync(token, """{"temperature": "hot"}""", "-V", "mqttv5");
        Assert.Contains("payload.temperature is text", textOutput);
        Assert.Equal(2, (await MqttTelemetryTests.StoredAsync(fixture.AppHost, device)).Count);
        _ = textExit;   // mosquitto_pub 2.0.11 exits 0 after a refused QoS 1 message; the reason it prints is what counts
    }
}
