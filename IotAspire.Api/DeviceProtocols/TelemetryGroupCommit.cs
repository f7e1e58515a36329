using System.Threading.Channels;
using IotAspire.Api.Errors;
using IotAspire.Api.Ingestion;
using IotAspire.Api.ReadingsStore;
using IotAspire.Api.Security;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.DeviceProtocols;

/// <summary>What became of a device's payload: stored (committed), refused (nothing of it stored), or not stored for now.</summary>
public abstract record TelemetryOutcome
{
    public sealed record Stored(int Values) : TelemetryOutcome;

    /// <summary>The payload is wrong (its values, its device, its time): sending it again will not help.</summary>
    public sealed record Refused(ApiErrorException Error) : TelemetryOutcome;

    /// <summary>The database could not take it now (or the API is stopping): nothing was stored; send it again.</summary>
    public sealed record NotStoredNow(string Reason) : TelemetryOutcome;
}

/// <summary>
/// Group commit for the device protocols: payloads from every connection (MQTT and ThingsBoard's HTTP device API) wait
/// here for up to <see cref="DeviceProtocolsOptions.GroupCommitWait"/> and are written together, one transaction and one
/// commit for a thousand devices' messages, not one each. Each payload's task completes only when its values are
/// committed, so a device is acknowledged only for what is durable.
/// <para>
/// A payload is all or nothing, and never fails its neighbours: each is checked on its own first; when the database
/// refuses a group (a device of another customer, a time older than retention keeps), the group is written again one
/// payload at a time, so only the payload at fault is refused. The queue is bounded: when it is full,
/// <see cref="WriteAsync"/> waits, and the connections waiting on it stop reading from their sockets.
/// </para>
/// </summary>
public sealed class TelemetryGroupCommit(IngestReadings ingest, IOptions<DeviceProtocolsOptions> options, IOptions<IngestionOptions> ingestion, ILogger<TelemetryGroupCommit> logger)
    : BackgroundService
{
    private readonly Channel<Payload> queue = Channel.CreateBounded<Payload>(new BoundedChannelOptions(options.Value.GroupCommitQueue)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleWriter = false,
        SingleReader = options.Value.GroupCommitWriters == 1,
    });

    private sealed record Payload(Caller Device, IReadOnlyList<SentMessage> Messages, TaskCompletionSource<TelemetryOutcome> Done)
    {
        public int Values => Messages.Sum(m => m.Values.Count);
    }

    /// <summary>Stores a device's messages with others' in the next group commit; completes once they are committed or refused.</summary>
    public async Task<TelemetryOutcome> WriteAsync(Caller device, IReadOnlyList<SentMessage> messages, CancellationToken ct)
    {
        var payload = new Payload(device, messages, new TaskCompletionSource<TelemetryOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await queue.Writer.WriteAsync(payload, ct);
        }
        catch (ChannelClosedException)
        {
            return new TelemetryOutcome.NotStoredNow("The API is stopping; nothing of this message was stored. Send it again.");
        }

        return await payload.Done.Task.WaitAsync(ct);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.GroupCommitWriters).Select(_ => Task.Run(() => WriteGroupsAsync(stoppingToken), CancellationToken.None)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        while (queue.Reader.TryRead(out var left))
        {
            left.Done.TrySetResult(new TelemetryOutcome.NotStoredNow("The API is stopping; nothing of this message was stored. Send it again."));
        }
    }

    private async Task WriteGroupsAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var group = new List<Payload>();
        while (await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            group.Clear();
            var values = 0;
            var deadline = DateTime.MaxValue;
            while (values < settings.GroupCommitMaxValues)
            {
                if (queue.Reader.TryRead(out var payload))
                {
                    if (group.Count == 0)
                    {
                        deadline = DateTime.UtcNow + settings.GroupCommitWait;   // the wait counts from the group's first payload
                    }

                    group.Add(payload);
                    values += payload.Values;
                    continue;
                }

                // Nothing here: another writer took what woke this one (wait again, never spin), or the wait is over.
                var left = deadline - DateTime.UtcNow;
                if (group.Count == 0 || left <= TimeSpan.Zero || !await MoreWithinAsync(left))
                {
                    break;
                }
            }

            if (group.Count > 0)
            {
                await CommitAsync(group, stoppingToken);
            }
        }
    }

    private async Task<bool> MoreWithinAsync(TimeSpan wait)
    {
        var more = queue.Reader.WaitToReadAsync().AsTask();
        return await Task.WhenAny(more, Task.Delay(wait)) == more && await more;
    }

    private async Task CommitAsync(List<Payload> group, CancellationToken stoppingToken)
    {
        var checkedPayloads = new List<(Payload Payload, IReadOnlyList<ReadingToStore> Values)>(group.Count);
        foreach (var payload in group)
        {
            try
            {
                checkedPayloads.Add((payload, IngestReadings.CheckMessages(payload.Device, payload.Messages, ingestion.Value.MaxBatchSize)));
            }
            catch (ApiErrorException e)
            {
                payload.Done.TrySetResult(new TelemetryOutcome.Refused(e));
            }
        }

        if (checkedPayloads.Count == 0)
        {
            return;
        }

        var outcome = await StoreAsync([.. checkedPayloads.SelectMany(p => p.Values)], stoppingToken);
        if (outcome is TelemetryOutcome.Refused && checkedPayloads.Count > 1)
        {
            // Someone's payload is at fault: each on its own, so that only that one is refused.
            foreach (var (payload, values) in checkedPayloads)
            {
                payload.Done.TrySetResult(await StoreAsync(values, stoppingToken));
            }

            return;
        }

        // Stored, refused (a group of one) or not stored now: the same for every payload of the group.
        foreach (var (payload, values) in checkedPayloads)
        {
            payload.Done.TrySetResult(outcome is TelemetryOutcome.Stored ? new TelemetryOutcome.Stored(values.Count) : outcome);
        }
    }

    private async Task<TelemetryOutcome> StoreAsync(IReadOnlyList<ReadingToStore> values, CancellationToken stoppingToken)
    {
        try
        {
            await ingest.StoreCheckedMessagesAsync(values, stoppingToken);
            return new TelemetryOutcome.Stored(values.Count);
        }
        catch (ApiErrorException e)
        {
            return new TelemetryOutcome.Refused(e);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return new TelemetryOutcome.NotStoredNow("The API is stopping; nothing of this message was stored. Send it again.");
        }
        catch (Exception e) when (ApiErrors.FromDatabaseFailure(e) is { } failure)
        {
            return new TelemetryOutcome.NotStoredNow(failure.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "A group commit of {Values} values failed; its devices are told to send again", values.Count);
            return new TelemetryOutcome.NotStoredNow("The server failed to store this message; nothing of it was stored. Send it again.");
        }
    }
}
