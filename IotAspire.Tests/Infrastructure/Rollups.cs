using IotAspire.Api.ReadingsStore;
using Npgsql;

namespace IotAspire.Tests.Infrastructure;

/// <summary>The materializer seen from a test: wait until a customer's batches are folded, or keep them pending.</summary>
public static class Rollups
{
    /// <summary>Returns once no batch of <paramref name="customerId"/> waits for the materializer (fails after 60 s).</summary>
    public static async Task WaitUntilFoldedAsync(NpgsqlDataSource dataSource, Guid customerId)
    {
        var giveUpAt = DateTime.UtcNow.AddSeconds(60);
        while (await PendingRowsAsync(dataSource, customerId) > 0)
        {
            Assert.True(DateTime.UtcNow < giveUpAt, $"Customer {customerId}'s batches were still pending after 60 s.");
            await Task.Delay(50);
        }
    }

    public static async Task<long> PendingRowsAsync(NpgsqlDataSource dataSource, Guid customerId) =>
        (await Sql.ListAsync(dataSource, $"SELECT count(*) FROM {PendingRollups.Table} WHERE customer_id = $1", r => r.GetInt64(0), customerId))[0];

    /// <summary>
    /// Holds the materializer's turn (its advisory lock) until disposed: no pass runs on any replica, so what
    /// is ingested meanwhile stays pending. Other tests' batches wait too, and are folded after.
    /// </summary>
    public static async Task<IAsyncDisposable> HoldMaterializerAsync(NpgsqlDataSource dataSource)
    {
        var connection = await dataSource.OpenConnectionAsync();
        await using (var hold = new NpgsqlCommand($"SELECT pg_advisory_lock({RollupMaterializer.AdvisoryLockKey})", connection))
        {
            await hold.ExecuteNonQueryAsync();
        }

        return connection;   // closing the session releases the lock
    }
}
