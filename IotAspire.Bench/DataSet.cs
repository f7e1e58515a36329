using System.Globalization;
using IotAspire.Api.ReadingsStore;
using Npgsql;

namespace IotAspire.Bench;

/// <summary>
/// The measured data: <see cref="BenchOptions.Customers"/> customers with <see cref="BenchOptions.DevicesPerCustomer"/>
/// devices each, one reading per device per minute in arrival order (every device's minute t before any
/// device's minute t + 1), ending at <see cref="BenchOptions.DataEnd"/>; the first customer has
/// <see cref="BenchOptions.FirstCustomerDays"/> days of it. Ids are fixed, so a kept data set is found again.
/// It is written through the API's own <see cref="ReadingsWriter"/>, so devices and rollups are exactly
/// what ingestion makes of it.
/// </summary>
public sealed class DataSet(BenchOptions options)
{
    private const int BatchReadings = 10_000;

    public static Guid Customer(int index) => Guid.Parse($"b0000000-0000-4000-8000-{index:D12}", CultureInfo.InvariantCulture);

    public static Guid Device(int customer, int device) => Guid.Parse($"b1000000-0000-4000-8000-{customer:D6}{device:D6}", CultureInfo.InvariantCulture);

    public IReadOnlyList<Guid> Customers => [.. Enumerable.Range(0, options.Customers).Select(Customer)];

    public IReadOnlyList<Guid> DevicesOf(int customer) => [.. Enumerable.Range(0, options.DevicesPerCustomer).Select(d => Device(customer, d))];

    /// <summary>Generates the data set unless the database holds exactly it already; returns whether it generated.</summary>
    public async Task<bool> EnsureAsync(NpgsqlDataSource owner, Action<long, long> progress, CancellationToken ct)
    {
        var customers = Customers.ToArray();
        await WaitUntilFoldedAsync(owner, ct);
        await using (var existing = owner.CreateCommand("SELECT count(DISTINCT device_id), coalesce(sum(reading_count), 0)::bigint FROM series WHERE customer_id = ANY($1)"))
        {
            existing.Parameters.Add(new NpgsqlParameter { Value = customers });
            await using var reader = await existing.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var (devices, readings) = (reader.GetInt64(0), reader.GetInt64(1));
            if (devices == (long)options.Customers * options.DevicesPerCustomer && readings == options.GeneratedReadings)
            {
                return false;
            }

            if (devices > 0)
            {
                await reader.DisposeAsync();
                await RemoveAsync(owner, customers, ct);   // another size, or an interrupted run: start over
            }
        }

        var writer = new ReadingsWriter(owner);
        long written = 0;
        foreach (var batch in Batches())
        {
            if (await writer.WriteAsync(batch, ct) is not IngestOutcome.Stored)
            {
                throw new InvalidOperationException("The data set was refused by the writer: are its devices taken by another customer?");
            }

            written += batch.Count;
            progress(written, options.GeneratedReadings);
        }

        // The devices' counts (checked above on the next run) and the rollups are the materializer's.
        await WaitUntilFoldedAsync(owner, ct);
        await using var analyze = owner.CreateCommand("ANALYZE");
        await analyze.ExecuteNonQueryAsync(ct);
        return true;
    }

    /// <summary>Returns once the materializer has folded every pending batch (a measurement starts from caught-up rollups).</summary>
    public static async Task WaitUntilFoldedAsync(NpgsqlDataSource owner, CancellationToken ct)
    {
        await using var pending = owner.CreateCommand($"SELECT EXISTS (SELECT 1 FROM {PendingRollups.Table})");
        while (await pending.ExecuteScalarAsync(ct) is true)
        {
            await Task.Delay(100, ct);
        }
    }

    private IEnumerable<List<ReadingToStore>> Batches()
    {
        // The first customer's long history first, then everybody else's last minutes, all in arrival order.
        foreach (var batch in InArrivalOrder([0], options.FirstCustomerDays * 1_440))
        {
            yield return batch;
        }

        foreach (var batch in InArrivalOrder([.. Enumerable.Range(1, options.Customers - 1)], options.Minutes))
        {
            yield return batch;
        }
    }

    private IEnumerable<List<ReadingToStore>> InArrivalOrder(int[] customers, int minutes)
    {
        var devices = customers.SelectMany(c => DevicesOf(c).Select(d => (Customer: Customer(c), Device: d))).ToArray();
        var start = BenchOptions.DataEnd.AddMinutes(-minutes);
        var batch = new List<ReadingToStore>(BatchReadings);
        for (var minute = 0; minute < minutes; minute++)
        {
            for (var i = 0; i < devices.Length; i++)
            {
                batch.Add(new ReadingToStore(devices[i].Customer, devices[i].Device, start.AddMinutes(minute), Value(i, minute)));
            }

            if (batch.Count + devices.Length > BatchReadings)
            {
                yield return batch;
                batch = new List<ReadingToStore>(BatchReadings);
            }
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    // A daily cycle per device, with a little deterministic noise.
    private static double Value(int device, int minute) =>
        Math.Round(20 + (5 * Math.Sin((minute / 1_440.0 * 2 * Math.PI) + device)) + ((minute * 7919 + device * 104_729) % 100 / 100.0), 3);

    /// <summary>Every table that holds rows per customer.</summary>
    public static readonly IReadOnlyList<string> ReadingsTables =
        ["readings", "ingested_per_minute", "devices", Series.Table, "device_tokens", PendingRollups.Table, .. ReadingRollups.All.Select(grain => grain.Table)];

    /// <summary>What the ingest bench's alert rules leave (IngestBench.ByAlertRulesAsync).</summary>
    public static readonly IReadOnlyList<string> AlertTables = ["alert_deliveries", Api.ReadingsStore.PendingAlerts.EventsTable, Api.ReadingsStore.PendingAlerts.Table, Api.ReadingsStore.PendingAlerts.RulesTable, "alert_webhooks"];

    /// <summary>Every row of these customers, in every readings and alerts table.</summary>
    public static async Task RemoveAsync(NpgsqlDataSource owner, Guid[] customers, CancellationToken ct)
    {
        await using var remove = owner.CreateCommand(string.Concat(ReadingsTables.Concat(AlertTables).Select(table => $"DELETE FROM {table} WHERE customer_id = ANY(@customers);\n")));
        remove.Parameters.Add(new NpgsqlParameter("customers", customers));
        await remove.ExecuteNonQueryAsync(ct);
    }
}
