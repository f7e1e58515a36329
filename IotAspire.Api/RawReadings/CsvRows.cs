using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace IotAspire.Api.RawReadings;

/// <summary>
/// RFC 4180 rows written as UTF-8 straight into the response's pipe: no string per row, and a flush every
/// <see cref="FlushBytes"/>, which waits while the client is slower than the database (so memory stays flat).
/// The values written are UUIDs, times, numbers and keys (letters, digits, '_', '.', '-'), which never need quoting;
/// header names are ours.
/// </summary>
public sealed class CsvRows(PipeWriter pipe)
{
    private const int FlushBytes = 64 * 1024;
    private const int MaxValueBytes = Readings.TelemetryKey.MaxLength;
    private int unflushed;

    /// <summary>What exports write for times: UTC to the microsecond, as the API's answers show them.</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'";

    public void Header(IEnumerable<string> names) => Text(string.Join(',', names) + "\r\n");

    public void Value(Guid value, bool last = false)
    {
        var span = pipe.GetSpan(MaxValueBytes);
        value.TryFormat(span, out var written);
        End(span, written, last);
    }

    public void Value(DateTimeOffset value, bool last = false)
    {
        var span = pipe.GetSpan(MaxValueBytes);
        value.UtcDateTime.TryFormat(span, out var written, TimeFormat, CultureInfo.InvariantCulture);
        End(span, written, last);
    }

    /// <summary>A number in the shortest form that reads back exactly; null is an empty field.</summary>
    public void Value(double? value, bool last = false)
    {
        var span = pipe.GetSpan(MaxValueBytes);
        var written = 0;
        value?.TryFormat(span, out written, "R", CultureInfo.InvariantCulture);
        End(span, written, last);
    }

    public void Value(long value, bool last = false)
    {
        var span = pipe.GetSpan(MaxValueBytes);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        End(span, written, last);
    }

    /// <summary>A key, as <see cref="Readings.TelemetryKey"/> allows it: ASCII that never needs quoting.</summary>
    public void Key(string key, bool last = false)
    {
        var span = pipe.GetSpan(MaxValueBytes + 1);
        var written = Encoding.ASCII.GetBytes(key, span);
        End(span, written, last);
    }

    /// <summary>Sends what is written when enough has gathered; awaits a slow client.</summary>
    public async ValueTask FlushIfFullAsync(CancellationToken ct)
    {
        if (unflushed >= FlushBytes)
        {
            unflushed = 0;
            await pipe.FlushAsync(ct);
        }
    }

    public async ValueTask FlushAsync(CancellationToken ct)
    {
        unflushed = 0;
        await pipe.FlushAsync(ct);
    }

    // Every value above fits in MaxValueBytes (a UUID is 36, a time 27, a double at most 24), the separator after it too.
    private void End(Span<byte> span, int written, bool last)
    {
        if (last)
        {
            span[written++] = (byte)'\r';
            span[written++] = (byte)'\n';
        }
        else
        {
            span[written++] = (byte)',';
        }

        pipe.Advance(written);
        unflushed += written;
    }

    private void Text(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        pipe.Write(bytes);
        unflushed += bytes.Length;
    }
}
