using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Security;
using Microsoft.AspNetCore.Authentication;

namespace IotAspire.Api.Devices;

public static class DevicesServiceExtensions
{
    /// <summary>
    /// Device provisioning for administrators and device tokens for customers and administrators (their SQL
    /// and use cases), and the authentication scheme that reads device tokens (<see cref="TokenValidationExtensions"/>
    /// sends requests carrying one to it).
    /// </summary>
    public static IHostApplicationBuilder AddDeviceProvisioning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeviceRegistry>();
        builder.Services.AddSingleton<DeviceAttributesWriter>();
        builder.Services.AddSingleton<ManageDevices>();
        builder.Services.AddSingleton<DeviceTokenStore>();
        builder.Services.AddSingleton<ManageDeviceTokens>();
        builder.Services.AddSingleton<DeviceTokenValidator>();
        builder.AddValidatedOptions<DeviceTokenBootstrapOptions>(DeviceTokenBootstrapOptions.Section);
        builder.Services.AddHostedService<DeviceTokenBootstrap>();   // after the migration (registered before it)
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, DeviceTokenAuthenticationHandler>(DeviceTokenFormat.Scheme, displayName: "Device token", configureOptions: null);
        return builder;
    }
}
