using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.Retention;

/// <summary>The <c>customer_retention</c> settings and the <c>retention_runs</c> records.</summary>
public sealed class RetentionStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "customer_id, keep_readings_days, keep_rollups_days, readings_deleted_before, rollups_deleted_before, updated_at, updated_by";

    private const string RunColumns = "customer_id, started_at, finished_at, readings_cutoff, rollups_cutoff, readings_deleted, rollup_rows_deleted, outcome";

    public async Task<RetentionPolicy> GetAsync(Guid customerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM customer_retention WHERE customer_id = @customer");
        command.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customerId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadPolicy(reader) : new RetentionPolicy(customerId, null, null, null, null, null, null);
    }

    public async Task<RetentionPolicy> SetAsync(Guid customerId, int? keepReadingsDays, int? keepRollupsDays, string updatedBy, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO customer_retention (customer_id, keep_readings_days, keep_rollups_days, updated_at, updated_by)
            VALUES (@customer, @readings, @rollups, now(), @by)
            ON CONFLICT (customer_id) DO UPDATE SET keep_readings_days = EXCLUDED.keep_readings_days,
                keep_rollups_days = EXCLUDED.keep_rollups_days, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            RETURNING {Columns}
            """);
        command.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = customerId });
        command.Parameters.Add(new("readings", NpgsqlDbType.Integer) { Value = (object?)keepReadingsDays ?? DBNull.Value });
        command.Parameters.Add(new("rollups", NpgsqlDbType.Integer) { Value = (object?)keepRollupsDays ?? DBNull.Value });
        command.Parameters.Add(new("by", NpgsqlDbType.Text) { Value = updatedBy });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return ReadPolicy(reader);
    }

    /// <summary>The latest runs, newest first; of one customer, or of all (null).</summary>
    public async Task<IReadOnlyList<RetentionRunSummary>> RunsAsync(Guid? customerId, int last, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {RunColumns} FROM retention_runs
            WHERE @customer::uuid IS NULL OR customer_id = @customer
            ORDER BY started_at DESC, id DESC LIMIT @last
            """);
        command.Parameters.Add(new("customer", NpgsqlDbType.Uuid) { Value = (object?)customerId ?? DBNull.Value });
        command.Parameters.Add(new("last", NpgsqlDbType.Integer) { Value = last });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var runs = new List<RetentionRunSummary>();
        while (await reader.ReadAsync(ct))
        {
            runs.Add(ReadRun(reader));
        }

        return runs;
    }

    internal static RetentionRunSummary ReadRun(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), NullableTime(reader, 2), NullableTime(reader, 3), NullableTime(reader, 4),
        reader.GetInt64(5), reader.GetInt64(6), reader.GetString(7));

    private static RetentionPolicy ReadPolicy(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt32(2),
        NullableTime(reader, 3), NullableTime(reader, 4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6));

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
