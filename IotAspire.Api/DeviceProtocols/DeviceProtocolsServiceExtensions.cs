namespace IotAspire.Api.DeviceProtocols;

public static class DeviceProtocolsServiceExtensions
{
    /// <summary>
    /// The device protocols: the group commit they share, the MQTT listener (unless <c>DeviceProtocols:MqttPort</c> is 0)
    /// and ThingsBoard's HTTP device API. Hosted in the API, not as a gateway of its own: they need exactly what the API
    /// has (device tokens, the failed-token throttle, the ingest rules and the writer), and a replica of the API is then a
    /// replica of the listener too.
    /// </summary>
    public static IHostApplicationBuilder AddDeviceProtocols(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<DeviceProtocolsOptions>(DeviceProtocolsOptions.Section);
        builder.Services.AddSingleton<TelemetryGroupCommit>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TelemetryGroupCommit>());
        if (builder.Configuration.GetValue($"{DeviceProtocolsOptions.Section}:{nameof(DeviceProtocolsOptions.MqttPort)}", new DeviceProtocolsOptions().MqttPort) != 0)
        {
            builder.ListenForMqtt();
        }

        builder.Services.AddSingleton<MqttTelemetryListener>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MqttTelemetryListener>());
        return builder;
    }
}
