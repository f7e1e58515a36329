namespace IotAspire.Api.HeavyReads;

/// <summary>
/// A heavy read's response body that may not stall: each write (and flush) must reach the client within
/// <see cref="HeavyReadsOptions.ResponseGracePeriod"/> plus its size at <see cref="HeavyReadsOptions.MinResponseBytesPerSecond"/>,
/// or the connection is aborted: the client gets a cut connection (no final chunk, so never a file that looks
/// complete), the request ends, and its turn with it. Kestrel's own minimum response rate did not end a turn held by a
/// client that stopped reading an export (tried: still held after 90 s), so the guard is ours and explicit.
/// </summary>
public sealed class StallGuardedResponseStream(Stream inner, HttpContext http, HeavyReadsOptions options, ILogger logger) : Stream
{
    private TimeSpan Allowed(int bytes) => options.ResponseGracePeriod + TimeSpan.FromSeconds((double)bytes / options.MinResponseBytesPerSecond);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var stalled = Deadline(buffer.Length, cancellationToken);
        try
        {
            await inner.WriteAsync(buffer, stalled.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Cut(buffer.Length);
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        using var stalled = Deadline(0, cancellationToken);
        try
        {
            await inner.FlushAsync(stalled.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Cut(0);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private CancellationTokenSource Deadline(int bytes, CancellationToken ct)
    {
        var stalled = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stalled.CancelAfter(Allowed(bytes));
        return stalled;
    }

    private OperationCanceledException Cut(int bytes)
    {
        logger.LogInformation("A heavy read's client took {Bytes} bytes slower than {Rate} bytes/s for longer than {Grace}; its connection was cut and its turn ended",
            bytes, options.MinResponseBytesPerSecond, options.ResponseGracePeriod);
        http.Abort();
        return new OperationCanceledException("The client stopped reading the response.");
    }

    // Everything else as the response body it wraps.
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
}
