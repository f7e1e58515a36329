using System.IO.Pipelines;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using MQTTnet.AspNetCore;

namespace IotAspire.Api.DeviceProtocols;

/// <summary>
/// MQTT on Kestrel, beside the API's HTTP: Kestrel's sockets and pipelines hold no buffer for an idle connection and at
/// most its read limit for a busy one, and <see cref="MqttPacketSizeGuard"/> ends a connection whose packet would be
/// larger than <see cref="DeviceProtocolsOptions.MqttMaxPacketBytes"/>. MQTTnet's own TCP server has neither.
/// <para>
/// Kestrel binds either the URLs it is given (<c>ASPNETCORE_URLS</c>, which the AppHost sets) or endpoints made in code,
/// not both: with MQTT on, the HTTP URLs are bound here too, each as Kestrel would bind it, and the setting is cleared.
/// </para>
/// </summary>
public static class MqttKestrelListener
{
    /// <summary>Kestrel's own default when no URL is given.</summary>
    private const string DefaultUrls = "http://localhost:5000";

    public static void ListenForMqtt(this IHostApplicationBuilder builder)
    {
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } given ? given : DefaultUrls;
        builder.Configuration[WebHostDefaults.ServerUrlsKey] = "";
        builder.Services.AddMqttConnectionHandler().AddConnections();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<DeviceProtocolsOptions>, ILoggerFactory>((kestrel, options, logs) =>
        {
            var settings = options.Value;
            var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(BindingAddress.Parse).ToList();
            foreach (var address in addresses)
            {
                ListenHttp(kestrel, address);
            }

            // MQTT is reachable where HTTP is: only on this machine when the API's URLs are all local (the AppHost's run),
            // on every address otherwise.
            var local = addresses.All(a => a.Host == "localhost" || IPAddress.TryParse(a.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
            var logger = logs.CreateLogger(typeof(MqttKestrelListener));
            void Listen(int port, Action<ListenOptions> configure)
            {
                if (local)
                {
                    kestrel.ListenLocalhost(port, configure);
                }
                else
                {
                    kestrel.ListenAnyIP(port, configure);
                }
            }

            Listen(settings.MqttPort, listen => listen.Use(next => Guarded(next, settings.MqttMaxPacketBytes, logger)).UseMqtt());
            if (settings.MqttCertificatePath.Length > 0 && settings.MqttTlsPort != 0)
            {
                var certificate = X509CertificateLoader.LoadPkcs12FromFile(settings.MqttCertificatePath, settings.MqttCertificatePassword);
                Listen(settings.MqttTlsPort, listen =>
                {
                    listen.UseHttps(certificate);
                    listen.Use(next => Guarded(next, settings.MqttMaxPacketBytes, logger)).UseMqtt();
                });
            }
        });
    }

    private static void ListenHttp(KestrelServerOptions kestrel, BindingAddress address)
    {
        Action<ListenOptions> https = address.Scheme == "https" ? listen => listen.UseHttps() : _ => { };
        var host = address.Host.Trim('[', ']');
        if (host == "localhost" && address.Port != 0)
        {
            kestrel.ListenLocalhost(address.Port, https);
        }
        else if (host == "localhost")
        {
            kestrel.Listen(IPAddress.Loopback, 0, https);
        }
        else if (IPAddress.TryParse(host, out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any))
        {
            kestrel.Listen(ip, address.Port, https);
        }
        else
        {
            kestrel.ListenAnyIP(address.Port, https);   // *, +, 0.0.0.0, [::] or a host name: every address, as Kestrel binds them
        }
    }

    private static ConnectionDelegate Guarded(ConnectionDelegate next, int maxPacketBytes, ILogger logger) => async connection =>
    {
        var guard = new MqttPacketSizeGuard(connection.Transport.Input, maxPacketBytes, connection.Abort);
        connection.Transport = new Transport(guard, connection.Transport.Output);
        await next(connection);
        if (guard.Refusal is { } refusal)
        {
            logger.LogInformation("Ended the MQTT connection from {Address}: {Refusal}", connection.RemoteEndPoint, refusal);
        }
    };

    private sealed record Transport(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
