namespace IotAspire.Api.Retention;

/// <summary>
/// A customer's retention: raw readings are kept <see cref="KeepReadingsDays"/> days, the rollups (five-minute,
/// hourly, daily) <see cref="KeepRollupsDays"/>; null is forever. <see cref="ReadingsDeletedBefore"/> and
/// <see cref="RollupsDeletedBefore"/> say how far the job has deleted (null: nothing yet).
/// </summary>
public sealed record RetentionPolicy(
    Guid CustomerId, int? KeepReadingsDays, int? KeepRollupsDays,
    DateTimeOffset? ReadingsDeletedBefore, DateTimeOffset? RollupsDeletedBefore,
    DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>What one run of the retention job removed for one customer.</summary>
public sealed record RetentionRunSummary(
    Guid CustomerId, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    DateTimeOffset? ReadingsCutoff, DateTimeOffset? RollupsCutoff,
    long ReadingsDeleted, long RollupRowsDeleted, string Outcome);
