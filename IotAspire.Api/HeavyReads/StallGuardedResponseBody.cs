using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace IotAspire.Api.HeavyReads;

/// <summary>
/// A heavy read's response body that may not stall: each flush (and write) must reach the client within
/// <see cref="HeavyReadsOptions.ResponseGracePeriod"/> plus the bytes it carries at
/// <see cref="HeavyReadsOptions.MinResponseBytesPerSecond"/>, or the connection is aborted: the client gets a cut
/// connection (no final chunk, so never a file that looks complete), the request ends, and its turn with it. Kestrel's
/// own minimum response rate did not end a turn held by a client that stopped reading an export (tried: still held
/// after 90 s), so the guard is ours. It wraps the server's pipe without copying: an export writes into Kestrel's
/// buffers as before (a wrapping stream cost a copy and doubled the export's memory).
/// </summary>
public sealed class StallGuardedResponseBody(IHttpResponseBodyFeature inner, HttpContext http, HeavyReadsOptions options, ILogger logger) : IHttpResponseBodyFeature
{
    private readonly GuardedWriter writer = new(inner.Writer, http, options, logger);
    private Stream? stream;

    /// <summary>Puts the guard on <paramref name="http"/>'s response, once, before it has started.</summary>
    public static void Install(HttpContext http, HeavyReadsOptions options, ILogger logger)
    {
        if (!http.Response.HasStarted && http.Features.Get<IHttpResponseBodyFeature>() is { } body and not StallGuardedResponseBody)
        {
            http.Features.Set<IHttpResponseBodyFeature>(new StallGuardedResponseBody(body, http, options, logger));
        }
    }

    public Stream Stream => stream ??= writer.AsStream(leaveOpen: true);

    public PipeWriter Writer => writer;

    public void DisableBuffering() => inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        inner.SendFileAsync(path, offset, count, cancellationToken);

    public Task CompleteAsync() => inner.CompleteAsync();

    private sealed class GuardedWriter(PipeWriter inner, HttpContext http, HeavyReadsOptions options, ILogger logger) : PipeWriter
    {
        private long unflushed;

        public override void Advance(int bytes)
        {
            unflushed += bytes;
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            var bytes = unflushed;
            unflushed = 0;
            return GuardAsync(token => inner.FlushAsync(token), bytes, cancellationToken);
        }

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            var bytes = unflushed + source.Length;
            unflushed = 0;
            return GuardAsync(token => inner.WriteAsync(source, token), bytes, cancellationToken);
        }

        private async ValueTask<FlushResult> GuardAsync(Func<CancellationToken, ValueTask<FlushResult>> flush, long bytes, CancellationToken ct)
        {
            using var stalled = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stalled.CancelAfter(options.ResponseGracePeriod + TimeSpan.FromSeconds((double)bytes / options.MinResponseBytesPerSecond));
            try
            {
                return await flush(stalled.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                logger.LogInformation("A heavy read's client took {Bytes} bytes slower than {Rate} bytes/s for longer than {Grace}; its connection was cut and its turn ended",
                    bytes, options.MinResponseBytesPerSecond, options.ResponseGracePeriod);
                http.Abort();
                throw new OperationCanceledException("The client stopped reading the response.");
            }
        }
    }
}
