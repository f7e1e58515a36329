using System.Buffers;
using System.IO.Pipelines;

namespace IotAspire.Api.DeviceProtocols;

/// <summary>
/// Reads an MQTT connection's bytes as the listener receives them, and ends the connection as soon as a packet's fixed
/// header declares more than <paramref name="maxPacketBytes"/> (or a malformed length), before the rest arrives.
/// MQTTnet has no packet size limit: a CONNECT claiming 256 MB, sent before any token is checked, made its TCP server
/// reserve 256 MB per connection (measured: ten such connections, 2.7 GB of private memory).
/// <para>
/// It follows MQTT's framing only (a type byte, a length of one to four bytes of 7 bits, a body), skipping bodies by
/// count, so it costs next to nothing; MQTTnet still decodes every packet itself.
/// </para>
/// </summary>
public sealed class MqttPacketSizeGuard(PipeReader inner, int maxPacketBytes, Action abort) : PipeReader
{
    private ReadOnlySequence<byte> buffer;
    private long scanned;       // bytes of the buffer handed out last that the framing has read
    private long bodyLeft;      // bytes of the current packet's body not yet seen
    private int lengthBytes = -1;   // -1: expecting a packet's first byte; 0..3: bytes of its remaining length read
    private int length;

    /// <summary>Why the connection was ended, or null while it is fine (for the listener's log).</summary>
    public string? Refusal { get; private set; }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        Checked(await inner.ReadAsync(cancellationToken));

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        result = Checked(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        scanned -= buffer.Slice(0, consumed).Length;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    private ReadResult Checked(ReadResult result)
    {
        buffer = result.Buffer;
        if (Refusal is null && Scan(buffer.Slice(scanned)))
        {
            scanned = buffer.Length;
            return result;
        }

        // The reader sees the end of the stream (MQTTnet closes the connection); the connection itself is aborted.
        abort();
        inner.AdvanceTo(buffer.End);
        buffer = ReadOnlySequence<byte>.Empty;
        scanned = 0;
        return new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
    }

    /// <summary>Reads the framing of <paramref name="fresh"/> (bytes not seen before); false when a packet is refused.</summary>
    private bool Scan(ReadOnlySequence<byte> fresh)
    {
        foreach (var segment in fresh)
        {
            var span = segment.Span;
            var i = 0;
            while (i < span.Length)
            {
                if (bodyLeft > 0)
                {
                    var skip = (int)Math.Min(bodyLeft, span.Length - i);
                    bodyLeft -= skip;
                    i += skip;
                    continue;
                }

                var b = span[i++];
                if (lengthBytes < 0)
                {
                    // A packet's first byte (its type and flags): its length follows.
                    lengthBytes = 0;
                    length = 0;
                    continue;
                }

                length |= (b & 0x7F) << (7 * lengthBytes);
                lengthBytes++;
                if ((b & 0x80) != 0)
                {
                    if (lengthBytes == 4)
                    {
                        Refusal = "a packet length of more than four bytes (not MQTT)";
                        return false;
                    }

                    continue;
                }

                if (length > maxPacketBytes)
                {
                    Refusal = $"a packet of {length} bytes (DeviceProtocols:MqttMaxPacketBytes is {maxPacketBytes})";
                    return false;
                }

                bodyLeft = length;
                lengthBytes = -1;
            }
        }

        return true;
    }
}
