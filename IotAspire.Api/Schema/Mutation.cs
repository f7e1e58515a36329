using System.ComponentModel;
using GraphQL;
using IotAspire.Api.Ingestion;
using IotAspire.Api.Security;

namespace IotAspire.Api.Schema;

/// <summary>The write side of the API: devices send their readings here.</summary>
public sealed class Mutation
{
    [Description("Stores a batch of readings atomically: all of them or none. Sending a reading again is harmless (same value: unchanged; new value: updated).")]
    public static Task<IngestOutcome.Stored> IngestReadings(
        IResolveFieldContext context, [FromServices] IngestReadings ingestReadings, SentReading[] readings)
        => ingestReadings.RunAsync(Caller.From(context.User!), readings, context.CancellationToken);
}
