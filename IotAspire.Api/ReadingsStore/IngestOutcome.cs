namespace IotAspire.Api.ReadingsStore;

/// <summary>What storing a batch came to: the expected outcomes, as a closed set instead of exceptions.</summary>
public abstract record IngestOutcome
{
    /// <summary>How the batch changed the table; a resent identical reading counts as unchanged.</summary>
    public sealed record Stored(int Inserted, int Updated, int Unchanged) : IngestOutcome;

    /// <summary>A device of the batch belongs to another customer: nothing was written.</summary>
    public sealed record DeviceOwnedByAnotherCustomer(Guid DeviceId) : IngestOutcome;

    /// <summary>
    /// Reading <paramref name="Index"/> is older than its customer's retention keeps readings: its row may be
    /// gone while the rollups still count it, so storing it again could count it twice. Nothing was written.
    /// </summary>
    public sealed record OlderThanRetention(int Index, DateTimeOffset RecordedAt, DateTimeOffset KeptFrom) : IngestOutcome;

    /// <summary>The batch would give a device more than <paramref name="Max"/> keys: nothing was written.</summary>
    public sealed record TooManyKeys(Guid DeviceId, int Max) : IngestOutcome;

    /// <summary>Registration is required, and no administrator registered this device: nothing was written.</summary>
    public sealed record DeviceNotRegistered(Guid DeviceId) : IngestOutcome;
}
