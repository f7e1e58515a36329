using IotAspire.Api.Errors;
using IotAspire.Api.Security;

namespace IotAspire.Api.Retention;

/// <summary>
/// Retention for administrators (set the periods, run the job now) and for customers (read their own).
/// </summary>
public sealed class ManageRetention(RetentionStore store, RetentionRunner runner)
{
    public const int MaxDays = 36_600;   // a century
    public const int MaxRuns = 100;

    /// <summary>How long <c>runRetention</c> waits for a run already going on (within the request's 30 s).</summary>
    public static readonly TimeSpan WaitForRunningJob = TimeSpan.FromSeconds(15);

    public async Task<RetentionPolicy> SetAsync(Caller caller, Guid customerId, int? keepReadingsDays, int? keepRollupsDays, CancellationToken ct)
    {
        CustomerScope.RequireAdmin(caller, "set retention periods");
        Check(keepReadingsDays, keepRollupsDays);
        return await store.SetAsync(customerId, keepReadingsDays, keepRollupsDays, caller.UserName, ct);
    }

    public Task<RetentionPolicy> GetAsync(Caller caller, Guid? customerId, CancellationToken ct) =>
        store.GetAsync(CustomerScope.For(caller, customerId)
            ?? throw ApiErrors.BadInput("Name the customerId whose retention you want to see."), ct);

    public Task<IReadOnlyList<RetentionRunSummary>> RunsAsync(Caller caller, Guid? customerId, int last, CancellationToken ct)
    {
        if (last is < 1 or > MaxRuns)
        {
            throw ApiErrors.BadInput($"last must be between 1 and {MaxRuns}, not {last}.");
        }

        return store.RunsAsync(CustomerScope.For(caller, customerId), last, ct);
    }

    public async Task<IReadOnlyList<RetentionRunSummary>> RunNowAsync(Caller caller, CancellationToken ct)
    {
        CustomerScope.RequireAdmin(caller, "run the retention job");
        // Not the request's token: a run cut short would only leave work for the next; better to finish it.
        return await runner.RunOnceAsync(WaitForRunningJob, CancellationToken.None)
            ?? throw ApiErrors.BadInput($"The retention job has been running (on this or another replica) for more than {WaitForRunningJob.TotalSeconds:0} s; its records appear in retentionRuns when it ends. Try again later.");
    }

    /// <summary>The periods' rules (a pure rule): both null (forever), or readings 1 to 36 600 days and rollups at least as long.</summary>
    public static void Check(int? keepReadingsDays, int? keepRollupsDays)
    {
        if (keepReadingsDays is null)
        {
            if (keepRollupsDays is not null)
            {
                throw ApiErrors.BadInput("keepRollupsDays needs keepReadingsDays: while readings are kept forever, so are their rollups.");
            }

            return;
        }

        if (keepReadingsDays is < 1 or > MaxDays)
        {
            throw ApiErrors.BadInput($"keepReadingsDays must be between 1 and {MaxDays}, or null to keep readings forever; not {keepReadingsDays}.");
        }

        if (keepRollupsDays is { } rollups && (rollups < keepReadingsDays || rollups > MaxDays))
        {
            throw ApiErrors.BadInput($"keepRollupsDays must be between keepReadingsDays ({keepReadingsDays}) and {MaxDays}, or null to keep rollups forever; not {rollups}.");
        }
    }
}
