using Npgsql;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Lets a job wait until every ingest transaction that may have read an old rule has ended. Each ingest
/// transaction holds a shared PostgreSQL advisory lock from its first statement to its end; a job that has
/// just committed a new rule (retention's cut-off) takes the same lock exclusively for a moment. That waits for
/// the batches in flight, and every batch entering after it reads the new rule, since its owners and cut-offs
/// are read in a later statement, whose snapshot sees the commit.
/// <para>
/// One lock for all ingest, not one per device: a device lock per reading in arrival order was a row write per
/// reading. The price is that new batches queue behind the waiting job for as long as the longest batch in
/// flight (milliseconds), once per retention run and customer.
/// </para>
/// </summary>
public static class IngestBarrier
{
    private const long Key = 0x1_07A5_1B6E;   // "IoT Aspire ingest barrier"

    /// <summary>Ingest's first statement: held until its transaction ends.</summary>
    public static readonly string EnterSql = $"SELECT pg_advisory_xact_lock_shared({Key})";

    /// <summary>Returns once every ingest transaction in flight when it was called has ended.</summary>
    public static async Task WaitOutInFlightAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var wait = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({Key})", connection, transaction);
        await wait.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }
}
