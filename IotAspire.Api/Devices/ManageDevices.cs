using IotAspire.Api.Errors;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Devices;

/// <summary>
/// Device provisioning, for administrators: register a device to a customer (so no other customer can
/// claim it), move it to another customer, or remove it.
/// </summary>
public sealed class ManageDevices(DeviceRegistry registry, DevicesReader devices)
{
    public async Task<DeviceSummary> RegisterAsync(Caller caller, Guid deviceId, Guid customerId, CancellationToken ct)
    {
        RequireAdmin(caller);
        await registry.RegisterAsync(deviceId, customerId, ct);
        return (await devices.ReadAsync(customerId, ct, deviceId)).Single();
    }

    public async Task<bool> RemoveAsync(Caller caller, Guid deviceId, CancellationToken ct)
    {
        RequireAdmin(caller);
        return await registry.RemoveAsync(deviceId, ct);
    }

    private static void RequireAdmin(Caller caller)
    {
        if (!caller.IsAdmin)
        {
            throw ApiErrors.NotAllowed("Only an administrator may register or remove devices.");
        }
    }
}
