using System.Security.Cryptography;
using System.Text;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// The id of a series (a device's key), made from the device id and the key alone, so that ingest and reads know it
/// without asking the database. Key <c>reading</c> (the key of every reading stored before keys existed) keeps the
/// device's own id: the readings stored then are that series already, and upgrading moves no row. Any other key gets a
/// name-based UUID (RFC 9562's version 8 built as its name-based example: SHA-256 over a namespace, the device id and
/// the key, truncated to 128 bits), as collision-free as random ids; SHA-256 rather than version 5's SHA-1, whose
/// collisions can be made on purpose. Readings stay 16 bytes of id per row, as before keys: no row grows (docs/performance.md, bytes per value).
/// </summary>
public static class SeriesIds
{
    /// <summary>The key whose series id is the device id.</summary>
    public const string DeviceKey = "reading";

    private static readonly Guid Namespace = new("5b0e3c8e-6f61-4e4b-9a55-3b1c2f0c7d21");

    // Ingest asks for the same few thousand series batch after batch; a hash costs about a microsecond, a lookup a twentieth.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Guid Device, string Key), Guid> Made = new();
    private const int MaxRemembered = 1_000_000;

    public static Guid Of(Guid deviceId, string key)
    {
        if (key == DeviceKey)
        {
            return deviceId;
        }

        if (Made.TryGetValue((deviceId, key), out var known))
        {
            return known;
        }

        if (Made.Count >= MaxRemembered)
        {
            Made.Clear();
        }

        return Made[(deviceId, key)] = Make(deviceId, key);
    }

    private static Guid Make(Guid deviceId, string key)
    {

        Span<byte> name = stackalloc byte[16 + 16 + Encoding.UTF8.GetMaxByteCount(key.Length)];
        Namespace.TryWriteBytes(name, bigEndian: true, out _);
        deviceId.TryWriteBytes(name[16..], bigEndian: true, out _);
        var length = 32 + Encoding.UTF8.GetBytes(key, name[32..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(name[..length], hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);   // version 8
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);   // RFC variant
        return new Guid(hash[..16], bigEndian: true);
    }
}
