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
    public Task<IngestOutcome.Stored> RunAsync(Caller caller, IReadOnlyList<SentReading> readings, CancellationToken ct) =>
        StoreAsync(Check(caller, readings, options.Value.MaxBatchSize), "readings", ct);

    /// <summary>Stores a batch of messages (several named values each) as one batch of values: all of them or none.</summary>
    public Task<IngestOutcome.Stored> RunMessagesAsync(Caller caller, IReadOnlyList<SentMessage> messages, CancellationToken ct) =>
        StoreAsync(CheckMessages(caller, messages, options.Value.MaxBatchSize), "messages", ct);

    /// <summary>
    /// Stores values checked already (<see cref="CheckMessages"/>, of one caller or of several gathered into one
    /// transaction: the device protocols' group commit): all of them or none, refused as <see cref="RunMessagesAsync"/> refuses.
    /// </summary>
    public Task<IngestOutcome.Stored> StoreCheckedMessagesAsync(IReadOnlyList<ReadingToStore> values, CancellationToken ct) =>
        StoreAsync(values, "messages", ct);

    // index: of the value in the batch; a message's values are named by their message in messages' errors.
    private async Task<IngestOutcome.Stored> StoreAsync(IReadOnlyList<ReadingToStore> values, string batchName, CancellationToken ct) =>
        await writer.WriteAsync(values, ct) switch
        {
            IngestOutcome.Stored stored => stored,
            IngestOutcome.DeviceOwnedByAnotherCustomer(var device) when options.Value.RequireRegisteredDevices => throw NotRegistered(device),
            IngestOutcome.DeviceNotRegistered(var device) => throw NotRegistered(device),
            IngestOutcome.TooManyKeys(var device, var max) => throw ApiErrors.BadInput(
                $"Device {device} would have more than {max} keys; a device's keys name its quantities (temperature, humidity), not its values. Nothing was written."),
            IngestOutcome.DeviceOwnedByAnotherCustomer(var device) => throw ApiErrors.NotAllowed(
                $"Device {device} belongs to another customer; nothing was written."),
            IngestOutcome.OlderThanRetention(var index, var at, var keptFrom) => throw ApiErrors.BadInput(
                $"{batchName}[{(batchName == "messages" ? MessageOf(values, index) : index)}].timestamp ({ReadingTime.Text(at)}) is older than the customer's retention keeps readings (from {ReadingTime.Text(keptFrom)}); "
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
            // As in CheckMessages: a field is named only when it is refused.
            var key = reading.Key ?? TelemetryKey.Default;
            if (!IsStorable(reading.Reading) || !ReadingTime.IsValid(reading.Timestamp) || !TelemetryKey.IsValid(key))
            {
                CheckValue(reading.Reading, $"readings[{i}].reading");
                ReadingTime.Check(reading.Timestamp, $"readings[{i}].timestamp");
                TelemetryKey.Check(key, $"readings[{i}].key");
            }

            toStore.Add(new ReadingToStore(CustomerFor(caller, reading.DeviceId, reading.CustomerId, "readings", i), reading.DeviceId, reading.Timestamp, reading.Reading, key));
        }

        return toStore;
    }

    /// <summary>
    /// A batch of messages as the values it stores, or the first reason to refuse it (a pure rule). The batch limit
    /// counts values, as a batch of readings counts readings; a message names each key once.
    /// </summary>
    public static IReadOnlyList<ReadingToStore> CheckMessages(Caller caller, IReadOnlyList<SentMessage> messages, int maxBatchSize)
    {
        var count = messages.Sum(m => (long)m.Values.Count);
        if (count > maxBatchSize)
        {
            throw ApiErrors.BadInput($"A batch may hold at most {maxBatchSize} values; these {messages.Count} messages hold {count}. Send them in smaller batches.");
        }

        var toStore = new List<ReadingToStore>((int)count);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.Values.Count == 0)
            {
                throw ApiErrors.BadInput($"messages[{i}].values is empty; a message carries at least one value.");
            }

            // Each check names the field only when it refuses it: a batch is thousands of values, and formatting the
            // names of the good ones showed in its profile.
            if (!ReadingTime.IsValid(message.Timestamp))
            {
                ReadingTime.Check(message.Timestamp, $"messages[{i}].timestamp");
            }

            var customer = CustomerFor(caller, message.DeviceId, message.CustomerId, "messages", i);
            keys.Clear();
            for (var j = 0; j < message.Values.Count; j++)
            {
                var (key, value) = (message.Values[j].Key, message.Values[j].Value);
                if (!TelemetryKey.IsValid(key) || !IsStorable(value))
                {
                    TelemetryKey.Check(key, $"messages[{i}].values[{j}].key");
                    CheckValue(value, $"messages[{i}].values[{j}].value");
                }

                if (!keys.Add(key))
                {
                    throw ApiErrors.BadInput($"messages[{i}].values names key {key} twice; a message has one value per key.");
                }

                toStore.Add(new ReadingToStore(customer, message.DeviceId, message.Timestamp, value, key));
            }
        }

        return toStore;
    }

    // Which message the value at index belongs to (values are stored in message order).
    private static int MessageOf(IReadOnlyList<ReadingToStore> values, int index)
    {
        var message = 0;
        for (var i = 1; i <= index; i++)
        {
            if (values[i].DeviceId != values[i - 1].DeviceId || values[i].RecordedAt != values[i - 1].RecordedAt)
            {
                message++;
            }
        }

        return message;
    }

    private static bool IsStorable(double value) => Math.Abs(value) <= MaxMagnitude;

    private static void CheckValue(double value, string name)
    {
        if (!IsStorable(value))
        {
            throw ApiErrors.BadInput($"{name} must be a finite number between -1e100 and 1e100, not {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    // list[index]: where the caller sent it (readings[3], messages[2]), named only in a refusal.
    private static Guid CustomerFor(Caller caller, Guid deviceId, Guid? customerId, string list, int index)
    {
        var place = new InputPlace(list, index);
        if (caller.IsDevice)
        {
            if (deviceId != caller.DeviceId)
            {
                throw ApiErrors.NotAllowed($"{place} is for device {deviceId}, but this device token may only send readings of device {caller.DeviceId}; nothing was written.");
            }

            if (customerId is { } other && other != caller.CustomerId)
            {
                throw ApiErrors.NotAllowed($"{place} is for customer {other}, but this device token's device belongs to {caller.CustomerId}; leave customerId out. Nothing was written.");
            }

            return caller.CustomerId!.Value;
        }

        if (caller.IsAdmin)
        {
            return customerId
                ?? throw ApiErrors.BadInput($"{place}.customerId is required when an administrator ingests readings.");
        }

        var own = CustomerScope.Own(caller);
        if (customerId is { } named && named != own)
        {
            throw ApiErrors.NotAllowed($"{place} is for customer {named}, but you may only write for your own ({own}); nothing was written.");
        }

        return own;
    }
}

/// <summary>An item of an input list (<c>messages[2]</c>), formatted only when an error message names it.</summary>
internal readonly record struct InputPlace(string List, int Index)
{
    public override string ToString() => $"{List}[{Index}]";
}
