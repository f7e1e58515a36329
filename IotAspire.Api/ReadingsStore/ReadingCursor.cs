using System.Buffers.Binary;
using IotAspire.Api.Errors;
using IotAspire.Api.Readings;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Where a page of raw readings ends: the last reading's time and series, the order of the pages. Keyset, not an
/// offset: a page costs the same however deep, and readings arriving meanwhile never shift one already handed out.
/// Opaque to callers (base64url of a version byte, the time in microseconds and the series id), so its layout can change.
/// A cursor handed out before keys names a device, which is the id of that device's <c>reading</c> series: it still works.
/// </summary>
public readonly record struct ReadingCursor(DateTimeOffset RecordedAt, Guid SeriesId)
{
    private const byte Version = 1;
    private const int Length = 1 + 8 + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], (RecordedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        SeriesId.TryWriteBytes(bytes[9..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The cursor a page handed out, or BAD_USER_INPUT naming <c>after</c> for anything else.</summary>
    public static ReadingCursor Decode(string text)
    {
        var bytes = new byte[Length];
        var refused = ApiErrors.BadInput($"after (\"{(text.Length > 64 ? text[..64] + "..." : text)}\") is not a cursor of this API; pass the endCursor or an edge's cursor of the previous page, or leave it out to start at from.");
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - base64.Length % 4) % 4);
        if (text.Length > 64 || !Convert.TryFromBase64String(base64, bytes, out var written) || written != Length || bytes[0] != Version)
        {
            throw refused;
        }

        var microseconds = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(1));
        if (microseconds < 0 || microseconds > (ReadingTime.End - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond)
        {
            throw refused;   // a forged time: no stored reading has it
        }

        var time = DateTimeOffset.UnixEpoch.AddTicks(microseconds * TimeSpan.TicksPerMicrosecond);
        return new ReadingCursor(time, new Guid(bytes.AsSpan(9), bigEndian: true));
    }
}
