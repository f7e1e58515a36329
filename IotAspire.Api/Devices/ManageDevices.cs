using IotAspire.Api.Readings;
using IotAspire.Api.Errors;
using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Devices;

/// <summary>
/// Device provisioning, for administrators: register a device to a customer (so no other customer can
/// claim it), move it to another customer, or remove it. And, for a device's customer, its name and tags.
/// </summary>
public sealed class ManageDevices(DeviceRegistry registry, DevicesReader devices, DeviceAttributesWriter attributes)
{
    /// <summary>
    /// Sets the name (null: as it is; empty: none) and tags (null: as they are; a list replaces them) of one of the
    /// customer's devices. A customer names its own devices; an administrator the device's owner's (or the one it names).
    /// </summary>
    public async Task<DeviceSummary> SetAttributesAsync(Caller caller, Guid deviceId, string? name, IReadOnlyList<Tag>? tags, Guid? customerId, CancellationToken ct)
    {
        if (name is { Length: > 0 })
        {
            DeviceTags.CheckText(name, "name");
        }

        if (tags is not null)
        {
            DeviceTags.Check([.. tags.Select(t => (t.Name, t.Value))], "tags");
        }

        var customer = CustomerScope.For(caller, customerId) ?? await registry.OwnerAsync(deviceId, ct)
            ?? throw ApiErrors.BadInput($"Device {deviceId} belongs to no customer; register it first (registerDevice).");
        return await attributes.SetAsync(customer, deviceId, name, tags, ct) switch
        {
            AttributesOutcome.Set => (await devices.ReadAsync(customer, ct, new DeviceFilter(deviceId))).Single(),
            AttributesOutcome.NoSuchDevice => throw ApiErrors.BadInput(
                $"Customer {customer} has no device {deviceId}; a device is a customer's once it has sent a reading or been registered to it."),
            AttributesOutcome.NameTaken(var other) => throw ApiErrors.BadInput(
                $"name \"{name}\" is device {other}'s already; a name is unique among a customer's devices. Rename that one first, or pick another."),
            var other => throw new InvalidOperationException($"Unexpected outcome {other}."),
        };
    }

    public async Task<DeviceSummary> RegisterAsync(Caller caller, Guid deviceId, Guid customerId, CancellationToken ct)
    {
        RequireAdmin(caller);
        await registry.RegisterAsync(deviceId, customerId, ct);
        return (await devices.ReadAsync(customerId, ct, new DeviceFilter(deviceId))).Single();
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
