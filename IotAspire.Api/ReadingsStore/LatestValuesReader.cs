using System.ComponentModel;
using Npgsql;

namespace IotAspire.Api.ReadingsStore;

/// <summary>The newest value of a series and its time (<c>LatestValue</c> in the GraphQL schema).</summary>
public sealed record LatestValue(
    Guid DeviceId, [property: Description("The key (reading for readings sent without one).")] string Key,
    [property: Description("The time of the newest stored value.")] DateTimeOffset Timestamp, double Value);

/// <summary>
/// The newest value of each series of a request, exact at every moment (a batch acknowledged is in the answer, whether
/// or not the rollups hold it yet): the value the materializer keeps on the series' row, or the readings' newest where a
/// pending batch may hold a newer or changed one (<see cref="BucketStatements.LatestOf"/>). Not a table of latest values
/// written by ingest, which would cost every batch a write per series: the materializer writes the row anyway.
/// </summary>
public sealed class LatestValuesReader(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// The newest value of every series of <paramref name="request"/> (its range is not used), by customer, device and key;
    /// more than <see cref="AggregateRequest.MaxSeries"/> is refused. A customer's read is one statement
    /// (<see cref="BucketStatements.LatestOf"/>); an administrator's finds the customers first, then reads each as its own.
    /// </summary>
    public async Task<IReadOnlyList<LatestValue>> ReadAsync(AggregateRequest request, CancellationToken ct)
    {
        var scope = SeriesScope.Of(request);
        var customers = request.CustomerId is { } customerId ? [customerId] : await CustomersAsync(request, scope, ct);
        var latest = new List<LatestValue>();
        foreach (var customer in customers)
        {
            await using var command = dataSource.CreateCommand(BucketStatements.LatestOf(scope with { OneCustomer = true }));
            DeviceAggregatesReader.AddSeriesScope(request with { CustomerId = customer }, command.Parameters);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (latest.Count == AggregateRequest.MaxSeries)
                {
                    throw DeviceAggregatesReader.TooManySeries();
                }

                latest.Add(new LatestValue(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetDouble(3)));
            }
        }

        return latest;
    }

    private async Task<List<Guid>> CustomersAsync(AggregateRequest request, SeriesScope scope, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(BucketStatements.CustomersOfSeries(scope));
        DeviceAggregatesReader.AddSeriesScope(request, command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var customers = new List<Guid>();
        while (await reader.ReadAsync(ct))
        {
            customers.Add(reader.GetGuid(0));
        }

        return customers;
    }
}
