using IotAspire.Api.Errors;
using IotAspire.Api.Security;

namespace IotAspire.Api.Devices;

/// <summary>The secret of a new device token, shown this once, with what is stored about it.</summary>
public sealed record CreatedDeviceToken(string Token, DeviceTokenSummary DeviceToken);

/// <summary>
/// Device tokens: long-lived credentials a device sends instead of a customer's password, each bound to one
/// device of one customer and allowed only to send that device's readings. A customer manages its own
/// devices' tokens, an administrator anyone's. Creating a token claims an unclaimed device for the customer.
/// </summary>
public sealed class ManageDeviceTokens(DeviceTokenStore store)
{
    public async Task<CreatedDeviceToken> CreateAsync(Caller caller, Guid deviceId, Guid? customerId, CancellationToken ct)
    {
        var customer = CustomerScope.For(caller, customerId)
            ?? throw ApiErrors.BadInput("An administrator creating a device token names the customer the device belongs to (customerId).");
        var id = Guid.CreateVersion7();
        var (token, secretHash) = DeviceTokenFormat.New(id);
        return await store.CreateAsync(id, deviceId, customer, secretHash, caller.UserName, ct) switch
        {
            DeviceTokenCreation.Created(var created) => new CreatedDeviceToken(token, created),
            DeviceTokenCreation.DeviceOfAnotherCustomer => throw ApiErrors.NotAllowed($"Device {deviceId} belongs to another customer; no token was created."),
            DeviceTokenCreation.TooManyActiveTokens => throw ApiErrors.BadInput(
                $"Device {deviceId} has {DeviceTokenStore.MaxActiveTokensPerDevice} tokens that are not revoked; revoke one (revokeDeviceToken) before creating another."),
            var other => throw new InvalidOperationException($"Unexpected outcome {other}."),
        };
    }

    public Task<IReadOnlyList<DeviceTokenSummary>> ListAsync(Caller caller, Guid? customerId, Guid? deviceId, CancellationToken ct) =>
        store.ListAsync(CustomerScope.For(caller, customerId), deviceId, ct);

    public async Task<DeviceTokenSummary> RevokeAsync(Caller caller, Guid id, CancellationToken ct) =>
        await store.RevokeAsync(id, CustomerScope.For(caller, requestedCustomerId: null), ct)
            ?? throw ApiErrors.BadInput($"There is no device token {id} among those you may manage; list them with deviceTokens.");
}
