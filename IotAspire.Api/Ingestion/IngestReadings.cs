using System.Globalization;
using IotAspire.Api.Errors;
using IotAspire.Api.Readings;
using IotAspire.Api.Security;
using Microsoft.Extensions.Options;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.Ingestion;

/// <summary>
/// The ingest use case: decides which customer each reading is written for, refusing the whole batch on
/// the first problem, then stores it atomically. A customer writes only its own customer id (omitted
/// means its own); an administrator must name the customer of every reading.
/// </summary>
public sealed class IngestReadings(ReadingsWriter writer, IOptions<IngestionOptions> options)
{
    public async Task<IngestOutcome.Stored> RunAsync(Caller caller, IReadOnlyList<SentReading> readings, CancellationToken ct) =>
        await writer.WriteAsync(Check(caller, readings, options.Value.MaxBatchSize), ct) switch
        {
            IngestOutcome.Stored stored => stored,
            IngestOutcome.DeviceOwnedByAnotherCustomer(var device) when options.Value.RequireRegisteredDevices => throw NotRegistered(device),
            IngestOutcome.DeviceNotRegistered(var device) => throw NotRegistered(device),
            IngestOutcome.DeviceOwnedByAnotherCustomer(var device) => throw ApiErrors.NotAllowed(
                $"Device {device} belongs to another customer; nothing was written."),
            IngestOutcome.OlderThanRetention(var index, var at, var keptFrom) => throw ApiErrors.BadInput(
                $"readings[{index}].timestamp ({ReadingTime.Text(at)}) is older than the customer's retention keeps readings (from {ReadingTime.Text(keptFrom)}); "
                + "older data is kept only as rollups. Nothing was written: leave such readings out."),
            var other => throw new InvalidOperationException($"Unexpected ingest outcome {other}."),
        };

    private static ApiErrorException NotRegistered(Guid device) => ApiErrors.NotAllowed(
        $"Device {device} is not registered to your customer; ask an administrator to register it. Nothing was written.");

    /// <summary>
    /// The largest reading accepted, either sign. Far beyond any sensor, and it keeps every bucket function
    /// finite: PostgreSQL refuses a float8 sum or variance that overflows (a sum of two readings of 1e308 would
    /// fail the rollup of their bucket), and 1e100 leaves room for sums of 1e200 readings and their squares.
    /// </summary>
    public const double MaxMagnitude = 1e100;

    /// <summary>The batch as it will be stored, or the first reason to refuse it (a pure rule).</summary>
    public static IReadOnlyList<ReadingToStore> Check(Caller caller, IReadOnlyList<SentReading> readings, int maxBatchSize)
    {
        if (readings.Count > maxBatchSize)
        {
            throw ApiErrors.BadInput($"A batch may hold at most {maxBatchSize} readings; this one holds {readings.Count}. Send it in smaller batches.");
        }

        var toStore = new List<ReadingToStore>(readings.Count);
        for (var i = 0; i < readings.Count; i++)
        {
            var reading = readings[i];
            if (!(Math.Abs(reading.Reading) <= MaxMagnitude))
            {
                throw ApiErrors.BadInput($"readings[{i}].reading must be a finite number between -1e100 and 1e100, not {reading.Reading.ToString(CultureInfo.InvariantCulture)}.");
            }

            ReadingTime.Check(reading.Timestamp, $"readings[{i}].timestamp");

            toStore.Add(new ReadingToStore(CustomerFor(caller, reading, i), reading.DeviceId, reading.Timestamp, reading.Reading));
        }

        return toStore;
    }

    private static Guid CustomerFor(Caller caller, SentReading reading, int index)
    {
        if (caller.IsDevice)
        {
            if (reading.DeviceId != caller.DeviceId)
            {
                throw ApiErrors.NotAllowed($"readings[{index}] is for device {reading.DeviceId}, but this device token may only send readings of device {caller.DeviceId}; nothing was written.");
            }

            if (reading.CustomerId is { } other && other != caller.CustomerId)
            {
                throw ApiErrors.NotAllowed($"readings[{index}] is for customer {other}, but this device token's device belongs to {caller.CustomerId}; leave customerId out. Nothing was written.");
            }

            return caller.CustomerId!.Value;
        }

        if (caller.IsAdmin)
        {
            return reading.CustomerId
                ?? throw ApiErrors.BadInput($"readings[{index}].customerId is required when an administrator ingests readings.");
        }

        var own = CustomerScope.Own(caller);
        if (reading.CustomerId is { } named && named != own)
        {
            throw ApiErrors.NotAllowed($"readings[{index}] is for customer {named}, but you may only write for your own ({own}); nothing was written.");
        }

        return own;
    }
}
