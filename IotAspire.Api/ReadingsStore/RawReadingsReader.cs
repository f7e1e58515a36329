using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>
/// Raw readings of one customer, for pages and for exports: the SQL of both, side by side. Each series (a device's key)
/// is read by its own (customer, series, time) key range (PostgreSQL 15 has no skip scan: a customer-wide time filter
/// would walk every reading the customer ever sent), through the customer's <c>series</c> rows, which ingest writes in
/// the same transaction as a series' first reading. Every table is filtered by the customer (one shard on Citus).
/// </summary>
public sealed class RawReadingsReader(NpgsqlDataSource dataSource)
{
    // The customer's series of the named devices and keys, of devices carrying every tag of @tags (null: any).
    private const string SeriesOfRequest = """
        s.customer_id = @customer_id AND (@device_ids::uuid[] IS NULL OR s.device_id = ANY(@device_ids)) AND (@keys::text[] IS NULL OR s.key = ANY(@keys))
          AND (@tags::jsonb IS NULL OR EXISTS (SELECT FROM devices d WHERE d.customer_id = @customer_id AND d.id = s.device_id AND d.tags @> @tags))
        """;

    // Time-ordered over the series: each series contributes at most a page after the cursor (its key range read
    // from there), and the merge keeps the first @take. A page costs (series x page size) at most, however deep.
    // The cursor is exclusive: (recorded_at, series_id) after (@after_at, @after_series).
    private const string PageQuery = $"""
        SELECT s.device_id, s.key, r.series_id, r.recorded_at, r.reading
        FROM {Series.Table} s
        CROSS JOIN LATERAL (
            SELECT series_id, recorded_at, reading
            FROM readings
            WHERE customer_id = @customer_id AND series_id = s.id
              AND recorded_at >= @from AND recorded_at < @to AND recorded_at >= @after_at
              AND (recorded_at > @after_at OR series_id > @after_series)
            ORDER BY recorded_at
            LIMIT @take) r
        WHERE {SeriesOfRequest}
        ORDER BY r.recorded_at, r.series_id
        LIMIT @take
        """;

    // Series after series (by device, then key), each in time order: the order of the key, so PostgreSQL streams rows
    // as it reads them and neither it nor the API holds more than a row in hand, however long the range.
    private const string ExportQuery = $"""
        SELECT s.id, s.device_id, s.key, r.recorded_at, r.reading
        FROM {Series.Table} s
        CROSS JOIN LATERAL (
            SELECT recorded_at, reading
            FROM readings
            WHERE customer_id = @customer_id AND series_id = s.id AND recorded_at >= @from AND recorded_at < @to
            ORDER BY recorded_at) r
        WHERE {SeriesOfRequest}
        ORDER BY s.device_id, s.key
        """;

    /// <summary>An export's statement may run this long (the API's other statements: 20 s).</summary>
    public static readonly TimeSpan ExportStatementTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Up to <paramref name="take"/> readings after <paramref name="after"/> (null: from the start), time-ordered.</summary>
    public async Task<IReadOnlyList<StoredReading>> PageAsync(RawReadingsRequest request, ReadingCursor? after, int take, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(PageQuery);
        AddRequest(command, request);
        // No cursor: just before from, after every series (the maximal UUID), so the condition keeps from itself.
        var start = after ?? new ReadingCursor(request.From.AddTicks(-TimeSpan.TicksPerMicrosecond), Guid.AllBitsSet);
        command.Parameters.Add(new("after_at", NpgsqlDbType.TimestampTz) { Value = start.RecordedAt.UtcDateTime });
        command.Parameters.Add(new("after_series", NpgsqlDbType.Uuid) { Value = start.SeriesId });
        command.Parameters.Add(new("take", NpgsqlDbType.Integer) { Value = take });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var readings = new List<StoredReading>(take);
        while (await reader.ReadAsync(ct))
        {
            readings.Add(new StoredReading(reader.GetGuid(0), request.CustomerId, reader.GetFieldValue<DateTimeOffset>(3), reader.GetDouble(4)) { Key = reader.GetString(1) });
        }

        return readings;
    }

    /// <summary>
    /// Every reading of the request, series after series (by device, then key) in time order, handed to <paramref name="write"/> one at a
    /// time as PostgreSQL sends them (nothing is collected); <paramref name="write"/> may await, which holds the
    /// database's side back too. Returns how many were written.
    /// </summary>
    public async Task<long> ExportAsync(RawReadingsRequest request, Func<Guid, string, DateTimeOffset, double, ValueTask> write, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var timeout = new NpgsqlCommand($"SET LOCAL statement_timeout = {ExportStatementTimeout.TotalMilliseconds:0}", connection, transaction))
        {
            await timeout.ExecuteNonQueryAsync(ct);
        }

        await using var command = new NpgsqlCommand(ExportQuery, connection, transaction);
        AddRequest(command, request);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        var count = 0L;
        // Rows come series after series: the device and key are read once a series, not a string per row (a million
        // rows' keys were 40 MB of garbage, which the export's flat memory does not allow).
        var (series, device, key) = (Guid.Empty, Guid.Empty, "");
        while (await reader.ReadAsync(ct))
        {
            if (reader.GetGuid(0) is var id && (id != series || count == 0))
            {
                (series, device, key) = (id, reader.GetGuid(1), reader.GetString(2));
            }

            await write(device, key, reader.GetFieldValue<DateTimeOffset>(3), reader.GetDouble(4));
            count++;
        }

        return count;
    }

    private static void AddRequest(NpgsqlCommand command, RawReadingsRequest request)
    {
        command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = request.CustomerId });
        command.Parameters.Add(new("device_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = request.DeviceIds is { } ids ? ids.ToArray() : DBNull.Value });
        command.Parameters.Add(new("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = request.Keys is { } keys ? keys.ToArray() : DBNull.Value });
        command.Parameters.Add(new("tags", NpgsqlDbType.Jsonb) { Value = request.Tags is { Count: > 0 } tags ? new DeviceFilter(Tags: tags).TagsJson : DBNull.Value });
        command.Parameters.Add(new("from", NpgsqlDbType.TimestampTz) { Value = request.From.UtcDateTime });
        command.Parameters.Add(new("to", NpgsqlDbType.TimestampTz) { Value = request.To.UtcDateTime });
    }
}
