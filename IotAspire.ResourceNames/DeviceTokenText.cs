using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace IotAspire;

/// <summary>
/// What a device token looks like as text: <see cref="Prefix"/> then 48 bytes (a 16-byte id and a 32-byte
/// secret) in base64url. Here because the AppHost's simulator devices get theirs before anyone can sign in:
/// the API and the simulator derive the same token per device from one secret seed (an AppHost parameter),
/// the API storing only its hash.
/// </summary>
public static class DeviceTokenText
{
    public const string Prefix = "iotd_";

    /// <summary>The token of <paramref name="deviceId"/> under <paramref name="seed"/>: HMAC-SHA384 gives exactly the 48 bytes.</summary>
    public static string ForDevice(string seed, Guid deviceId) =>
        Prefix + Base64Url.EncodeToString(HMACSHA384.HashData(Encoding.UTF8.GetBytes(seed), deviceId.ToByteArray(bigEndian: true)));
}
