using Npgsql;

namespace IotAspire.Api.Errors;

/// <summary>
/// The errors a caller can meet, each with a stable machine code (<c>extensions.code</c> in GraphQL) and
/// a sentence a person can act on. Features throw them; the schema turns them into GraphQL errors, so
/// no feature needs to know GraphQL.
/// </summary>
public static class ApiErrors
{
    public const string BadUserInput = "BAD_USER_INPUT";
    public const string Forbidden = "FORBIDDEN";
    public const string Unauthenticated = "UNAUTHENTICATED";

    /// <summary>The request or its database statement ran out of time; nothing of it was stored.</summary>
    public const string Timeout = "TIMEOUT";

    /// <summary>The database cannot be reached now; the same request may be retried (ingest is idempotent).</summary>
    public const string Unavailable = "SERVICE_UNAVAILABLE";

    /// <summary>A live subscription fell too far behind and was ended (back-pressure); subscribe again.</summary>
    public const string TooSlow = "SUBSCRIBER_TOO_SLOW";

    /// <summary>The caller's share of a limited resource is in use (its heavy reads); retry after <c>Retry-After</c>.</summary>
    public const string ResourceExhausted = "RESOURCE_EXHAUSTED";

    public static ApiErrorException BadInput(string message) => new(BadUserInput, message);

    public static ApiErrorException Exhausted(string message, TimeSpan retryAfter) => new(ResourceExhausted, message) { RetryAfter = retryAfter };

    /// <summary>Whole seconds for a <c>Retry-After</c> header, at least 1.</summary>
    public static int RetryAfterSeconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    public static ApiErrorException NotAllowed(string message) => new(Forbidden, message);

    /// <summary>
    /// What a caller should hear of a database failure, or null for a failure that is ours (a bug), which
    /// keeps the generic message. Messages say what happened to the request and whether to retry it.
    /// </summary>
    public static ApiErrorException? FromDatabaseFailure(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => new(Timeout,
            "The database stopped this query at its time limit; nothing of it was stored. Narrow the range, raise aggregationSizeMinutes or send a smaller batch."),
        NpgsqlException { IsTransient: true } or PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow } => new(Unavailable,
            "The database is not reachable right now; nothing of this request was stored. Retry it shortly (sending the same readings again is harmless)."),
        // Class 08 from PostgreSQL: on a Citus cluster, the worker holding this customer's shards cannot be reached
        // from the coordinator (the statement, and so its transaction, did nothing). Citus reports a node lost inside
        // a transaction without a code of its own (XX000): matched by its text.
        PostgresException { SqlState: var state } e when state.StartsWith("08", StringComparison.Ordinal)
            || state == PostgresErrorCodes.InternalError && e.MessageText.StartsWith("failure on connection marked as essential", StringComparison.Ordinal) => new(Unavailable,
            "The part of the database holding this data is not reachable right now; nothing of this request was stored. "
            + "Retry it shortly (sending the same readings again is harmless)."),
        _ => null,
    };
}
