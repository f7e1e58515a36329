using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using IotAspire.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotAspire.Tests.DeviceProtocols;

/// <summary>
/// MQTT over TLS, as docs/device-protocols.md configures it (a PKCS#12 file and a port), on an AppHost of its own: a device
/// that checks the server's certificate publishes and is stored; the plain listener stays as it was.
/// </summary>
public sealed class MqttTlsTests
{
    [Fact]
    public async Task A_device_publishes_over_tls_with_the_configured_certificate()
    {
        var dataDirectory = RunningAppHost.NewDataDirectory();
        var pfx = dataDirectory.TrimEnd('/') + "-mqtt.pfx";   // beside the data directory, readable by the API
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            const string password = "Test-Pfx-Pw-1";
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, password));
            var tlsPort = RunningAppHost.FreeLoopbackPort();

            await using var appHost = await RunningAppHost.StartAsync(dataDirectory, [], builder =>
                builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.Api))
                    .WithEnvironment("DeviceProtocols__MqttCertificatePath", pfx)
                    .WithEnvironment("DeviceProtocols__MqttCertificatePassword", password)
                    .WithEnvironment("DeviceProtocols__MqttTlsPort", tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ResourceNames.Auth, ResourceNames.Api);
            var graphQL = new GraphQLClient(appHost);
            var (customer, _) = await new TokenServiceClient(appHost).NewCustomerAsync();
            var device = Guid.NewGuid();
            var (token, _) = await MqttTelemetryTests.DeviceTokenAsync(graphQL, customer, device);

            using var client = new MqttClientFactory().CreateMqttClient();
            var connected = await client.ConnectAsync(new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", tlsPort).WithProtocolVersion(MqttProtocolVersion.V500)
                .WithCredentials(token, "").WithClientId("tls-" + device.ToString("N"))
                .WithTlsOptions(tls => tls.UseTls().WithCertificateValidationHandler(e => e.Certificate.GetCertHashString() == certificate.GetCertHashString()))
                .Build());
            Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
            var published = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(MqttDevice.TelemetryTopic)
                .WithPayload(Encoding.UTF8.GetBytes("""{"ts": 1775001600000, "values": {"temperature": 21.5}}""")).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.True(published.IsSuccess, $"{published.ReasonCode} {published.ReasonString}");
            await client.DisconnectAsync();

            // The plain listener still answers, and both wrote to the same store.
            await using (var plain = await MqttDevice.ConnectAsync(appHost, token))
            {
                Assert.True((await plain.PublishAsync("""{"ts": 1775001660000, "values": {"temperature": 22.5}}""")).IsSuccess);
            }

            Assert.Equal([21.5, 22.5], (await MqttTelemetryTests.StoredAsync(appHost, device)).Select(v => v.Value));
        }
        finally
        {
            File.Delete(pfx);
            await RunningAppHost.DeleteDataAsync(dataDirectory);
        }
    }
}
