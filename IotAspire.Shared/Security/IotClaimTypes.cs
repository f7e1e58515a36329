namespace IotAspire.Shared.Security;

/// <summary>Claim names in access tokens, as short JWT names (inbound claim mapping is switched off).</summary>
public static class IotClaimTypes
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Role = "role";
    public const string CustomerId = "customer_id";

    /// <summary>The one device a device token may send readings for.</summary>
    public const string DeviceId = "device_id";
}
