using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.DeviceProtocols;

/// <summary>
/// The MQTT listener with npm's <c>mqtt</c> client (MQTT.js, the client of most JavaScript devices and gateways), over
/// MQTT 3.1.1 and 5: installed once per machine into a folder of its own, then run by Node.js.
/// </summary>
[Collection(AppHostCollection.Name)]
[NeedsTool("npm", "sudo apt-get install nodejs npm")]
public class NpmMqttClientTests(AppHostFixture fixture)
{
    private const string Version = "5.16.0";

    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"iotaspire-tests-npm-mqtt-{Version}");

    // Connects with the token, publishes one message at QoS 1, and says what became of it: 0 acknowledged, 2 refused, 3 not connected.
    private const string Script = """
        const mqtt = require('mqtt');
        const [url, token, payload, version] = process.argv.slice(2);
        const client = mqtt.connect(url, { username: token, protocolVersion: Number(version), clientId: 'npm-' + process.pid, reconnectPeriod: 0 });
        client.on('error', e => { console.log('not connected: ' + e.message); process.exit(3); });
        client.on('connect', () => client.publish('v1/devices/me/telemetry', payload, { qos: 1 }, err => {
          console.log(err ? 'refused: ' + err.message : 'acknowledged');
          client.end(true, () => process.exit(err ? 2 : 0));
        }));
        """;

    private readonly TokenServiceClient auth = new(fixture.AppHost);
    private readonly GraphQLClient graphQL = new(fixture.AppHost);

    private static async Task EnsureInstalledAsync()
    {
        if (File.Exists(Path.Combine(Folder, "node_modules", "mqtt", "package.json")))
        {
            return;
        }

        Directory.CreateDirectory(Folder);
        var (exit, output) = await ExternalProgram.RunAsync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", Folder, $"mqtt@{Version}"], TimeSpan.FromMinutes(3), Folder);
        Assert.True(exit == 0, $"npm install mqtt@{Version} failed: {output}");
    }

    private async Task<(int ExitCode, string Output)> PublishAsync(string token, string payload, int version)
    {
        var script = Path.Combine(Folder, "publish.js");
        await File.WriteAllTextAsync(script, Script);
        return await ExternalProgram.RunAsync("node", [script, $"mqtt://127.0.0.1:{fixture.AppHost.MqttPort}", token, payload, version.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30), Folder);
    }

    [Fact]
    public async Task Mqtt_js_stores_over_3_1_1_and_5_hears_a_refusal_and_is_refused_with_a_bad_token()
    {
        await EnsureInstalledAsync();
        var (customer, _) = await auth.NewCustomerAsync();
        var device = Guid.NewGuid();
        var (token, _) = await MqttTelemetryTests.DeviceTokenAsync(graphQL, customer, device);

        Assert.Equal((0, "acknowledged\n"), await PublishAsync(token, """{"ts": 1775001600000, "values": {"temperature": 21.5}}""", 4));
        Assert.Equal((0, "acknowledged\n"), await PublishAsync(token, """[{"ts": 1775001660000, "values": {"temperature": 22.5, "door": true}}]""", 5));
        Assert.Equal(
            [("door", DateTimeOffset.FromUnixTimeMilliseconds(1775001660000), 1.0),
             ("temperature", DateTimeOffset.FromUnixTimeMilliseconds(1775001600000), 21.5), ("temperature", DateTimeOffset.FromUnixTimeMilliseconds(1775001660000), 22.5)],
            await MqttTelemetryTests.StoredAsync(fixture.AppHost, device));

        var (refusedExit, refused) = await PublishAsync(token, """{"temperature": "hot"}""", 5);
        Assert.Equal(2, refusedExit);
        Assert.Contains("refused", refused);

        var (badExit, bad) = await PublishAsync("iotd_made-up", """{"temperature": 1}""", 5);
        Assert.Equal(3, badExit);
        Assert.Contains("Bad User Name or Password", bad, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3, (await MqttTelemetryTests.StoredAsync(fixture.AppHost, device)).Count);
    }
}
