using System.ComponentModel;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>The newest value of a series and its time (<c>LatestValue</c> in the GraphQL schema).</summary>
public sealed record LatestValue(
    Guid DeviceId, [property: Description("The key (reading for readings sent without one).")] string Key,
    [property: Description("The time of the newest stored value.")] DateTimeOffset Timestamp, double Value);

/// <summary>
/// The newest value of each series of a request: one backwards step on each series' (customer, series, time) key, so
/// it costs per series, not per reading, and reads the committed readings themselves: exact at every moment (a batch
/// acknowledged is in the answer, whether or not the rollups hold it yet). No table of latest values to keep beside
/// the readings, which would cost every ingest batch a write per series.
/// </summary>
public sealed class LatestValuesReader(NpgsqlDataSource dataSource, DeviceAggregatesReader series)
{
    /// <summary>The statement over the request's series (<c>@customer_ids</c> and <c>@series_ids</c>, in parallel).</summary>
    public const string LatestSql = """
        SELECT q.i, last.recorded_at, last.reading
        FROM unnest(@customer_ids, @series_ids) WITH ORDINALITY AS q(customer_id, series_id, i)
        CROSS JOIN LATERAL (SELECT recorded_at, reading FROM readings r
                            WHERE r.customer_id = q.customer_id AND r.series_id = q.series_id
                            ORDER BY recorded_at DESC LIMIT 1) last
        """;

    // On Citus each customer's series are one statement naming that customer, routed to its worker.
    private static readonly string OneCustomerLatestSql = LatestSql.Replace("r.customer_id = q.customer_id", "r.customer_id = @customer_id", StringComparison.Ordinal);

    /// <summary>The newest value of every series of <paramref name="request"/> (its range is not used), by device and key.</summary>
    public async Task<IReadOnlyList<LatestValue>> ReadAsync(AggregateRequest request, CancellationToken ct)
    {
        var names = (await series.WithSeriesAsync(request, ct)).Series!;
        var latest = new List<LatestValue>(names.Count);
        foreach (var customer in names.GroupBy(s => s.CustomerId))
        {
            var ofCustomer = customer.ToArray();
            await using var command = dataSource.CreateCommand(OneCustomerLatestSql);
            command.Parameters.Add(new("customer_id", NpgsqlDbType.Uuid) { Value = customer.Key });
            command.Parameters.Add(new("customer_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ofCustomer.Select(s => s.CustomerId).ToArray() });
            command.Parameters.Add(new("series_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ofCustomer.Select(s => s.Id).ToArray() });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = ofCustomer[(int)reader.GetInt64(0) - 1];
                latest.Add(new LatestValue(name.DeviceId, name.Key, reader.GetFieldValue<DateTimeOffset>(1), reader.GetDouble(2)));
            }
        }

        return latest;
    }
}
