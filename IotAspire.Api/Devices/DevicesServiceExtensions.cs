namespace IotAspire.Api.Devices;

public static class DevicesServiceExtensions
{
    /// <summary>Device provisioning for administrators (its SQL, and the use case).</summary>
    public static IHostApplicationBuilder AddDeviceProvisioning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeviceRegistry>();
        builder.Services.AddSingleton<ManageDevices>();
        return builder;
    }
}
