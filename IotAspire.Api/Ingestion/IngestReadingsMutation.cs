using IotAspire.Api.Schema;
using IotAspire.Api.Security;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.Ingestion;

public sealed class IngestionOptions
{
    /// <summary>Readings one <c>ingestReadings</c> call may carry.</summary>
    public int MaxBatchSize { get; set; } = 10_000;
}

public sealed record ReadingInput(DateTimeOffset Timestamp, double Reading, Guid DeviceId, Guid? CustomerId);

public sealed record IngestReadingsPayload(int Inserted, int Updated, int Unchanged);

/// <summary>
/// Decides which customer each reading is written for, refusing the whole batch on the first problem,
/// then stores it atomically. A customer writes only its own customer id (omitted means its own); an
/// administrator must name the customer of every reading.
/// </summary>
public sealed class IngestReadingsMutation(ReadingsWriter writer, IOptions<IngestionOptions> options)
{
    public async Task<IngestReadingsPayload> RunAsync(Caller caller, IReadOnlyList<ReadingInput> readings, CancellationToken ct)
    {
        var limit = options.Value.MaxBatchSize;
        if (readings.Count > limit)
        {
            throw ApiErrors.BadInput($"A batch may hold at most {limit} readings; this one holds {readings.Count}. Send it in smaller batches.");
        }

        var toStore = new List<ReadingToStore>(readings.Count);
        for (var i = 0; i < readings.Count; i++)
        {
            var reading = readings[i];
            if (double.IsNaN(reading.Reading) || double.IsInfinity(reading.Reading))
            {
                throw ApiErrors.BadInput($"readings[{i}].reading must be a finite number.");
            }

            toStore.Add(new ReadingToStore(CustomerFor(caller, reading, i), reading.DeviceId, reading.Timestamp, reading.Reading));
        }

        return await writer.WriteAsync(toStore, ct) switch
        {
            IngestOutcome.Stored(var inserted, var updated, var unchanged) => new IngestReadingsPayload(inserted, updated, unchanged),
            IngestOutcome.DeviceOwnedByAnotherCustomer(var device) => throw ApiErrors.NotAllowed(
                $"Device {device} belongs to another customer; nothing was written."),
            var other => throw new InvalidOperationException($"Unexpected ingest outcome {other}."),
        };
    }

    private static Guid CustomerFor(Caller caller, ReadingInput reading, int index)
    {
        if (caller.IsAdmin)
        {
            return reading.CustomerId
                ?? throw ApiErrors.BadInput($"readings[{index}].customerId is required when an administrator ingests readings.");
        }

        var own = caller.CustomerId ?? throw ApiErrors.NotAllowed("Your account has no customer id; ask an administrator to set one.");
        if (reading.CustomerId is { } named && named != own)
        {
            throw ApiErrors.NotAllowed($"readings[{index}] is for customer {named}, but you may only write for your own ({own}); nothing was written.");
        }

        return own;
    }
}
