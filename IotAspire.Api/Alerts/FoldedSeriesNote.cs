using IotAspire.Api.ReadingsStore;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Alerts;

/// <summary>
/// The alerts feature's observer of the materializer (<see cref="IFoldObserver"/>): after each customer's fold, in the
/// same transaction, notes in <see cref="PendingAlerts.Table"/> the folded series that a threshold or rate rule
/// watches (one row per series and pass), so that evaluation costs ingest nothing and sees only committed readings,
/// late ones included.
/// </summary>
public sealed class FoldedSeriesNote : IFoldObserver
{
    // A statement of its own rather than a CTE of the pass: Citus plans no correlated subquery beside a CTE, and a join
    // there was not planned either. Rules on no data need no readings.
    private const string NoteFoldedSql = $"""
        INSERT INTO {PendingAlerts.Table} (customer_id, series_id, first_at, last_at)
        SELECT @customer_id, d.series_id, d.first_at, d.last_at
        FROM unnest(@series_ids, @first_at, @last_at) AS d(series_id, first_at, last_at)
        WHERE d.series_id IN (SELECT series_id FROM {PendingAlerts.RulesTable} WHERE customer_id = @customer_id AND kind <> 'NO_DATA' AND NOT muted)
        """;

    public async Task OnFoldedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, FoldedSeries folded, CancellationToken ct)
    {
        await using var note = new NpgsqlCommand(NoteFoldedSql, connection, transaction);
        note.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = folded.CustomerId });
        note.Parameters.Add(new("series_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = folded.SeriesIds });
        note.Parameters.Add(new("first_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = folded.FirstAt });
        note.Parameters.Add(new("last_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = folded.LastAt });
        await note.ExecuteNonQueryAsync(ct);
    }
}
