using System.Buffers;
using System.IO.Pipelines;
using IotAspire.Api.DeviceProtocols;

namespace IotAspire.UnitTests.Transport;

/// <summary>The MQTT framing guard: packets within the limit pass unchanged however they are split; a larger one, or a malformed length, ends the connection at its header.</summary>
public sealed class MqttPacketSizeGuardTests
{
    private const int Max = 1_024;

    /// <summary>Writes the chunks one by one, reading (and consuming) after each; what the reader saw and whether it was aborted.</summary>
    private static async Task<(byte[] Seen, bool Aborted, string? Refusal)> RunAsync(params byte[][] chunks)
    {
        var pipe = new Pipe();
        var aborted = false;
        var guard = new MqttPacketSizeGuard(pipe.Reader, Max, () => aborted = true);
        var seen = new List<byte>();
        foreach (var chunk in chunks)
        {
            await pipe.Writer.WriteAsync(chunk);
            var result = await guard.ReadAsync();
            if (result.IsCompleted && result.Buffer.IsEmpty)
            {
                break;
            }

            // Consume all but the last byte, as a decoder waiting for the rest of a packet would: the guard must not read it twice.
            var keep = result.Buffer.Length > 1 ? 1 : 0;
            seen.AddRange(result.Buffer.Slice(0, result.Buffer.Length - keep).ToArray());
            guard.AdvanceTo(result.Buffer.GetPosition(result.Buffer.Length - keep), result.Buffer.End);
        }

        await pipe.Writer.CompleteAsync();
        var last = await guard.ReadAsync();
        seen.AddRange(last.Buffer.ToArray());
        return ([.. seen], aborted, guard.Refusal);
    }

    private static byte[] Packet(byte type, int bodyLength)
    {
        var length = new List<byte>();
        var left = bodyLength;
        do
        {
            var digit = (byte)(left % 128);
            left /= 128;
            length.Add(left > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (left > 0);

        return [type, .. length, .. Enumerable.Repeat((byte)0x5A, bodyLength)];
    }

    [Fact]
    public async Task Packets_within_the_limit_pass_unchanged_however_they_are_split()
    {
        byte[] stream = [.. Packet(0x10, 20), .. Packet(0x30, Max), .. Packet(0xC0, 0), .. Packet(0x32, 200)];
        var (seen, aborted, refusal) = await RunAsync([.. stream.Chunk(7)]);
        Assert.Equal(stream, seen);
        Assert.False(aborted);
        Assert.Null(refusal);
    }

    [Fact]
    public async Task A_packet_declaring_more_than_the_limit_ends_the_connection_at_its_header()
    {
        // A CONNECT claiming 268 435 455 bytes (the most MQTT allows), then a little of its body.
        var (seen, aborted, refusal) = await RunAsync([0x10, 0xFF, 0xFF, 0xFF, 0x7F], new byte[100]);
        Assert.True(aborted);
        Assert.Contains("268435455 bytes", refusal);
        Assert.Empty(seen);

        var (_, justOver, _) = await RunAsync([.. Packet(0x30, 8), .. Packet(0x30, Max + 1)]);
        Assert.True(justOver);
    }

    [Fact]
    public async Task A_length_of_five_bytes_is_not_mqtt()
    {
        var (_, aborted, refusal) = await RunAsync([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]);
        Assert.True(aborted);
        Assert.Contains("more than four bytes", refusal);
    }
}
