using IotAspire.Api.ReadingsStore;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Scaling;

/// <summary>
/// The readings schema stays distributable: every table has a place in <see cref="CitusDistribution"/>, and every
/// primary key and unique constraint of a distributed table leads with <c>customer_id</c> (what Citus requires to
/// distribute it, and what routes a customer's statement to one worker). A new table or key that breaks this fails here,
/// on plain PostgreSQL, before anyone tries it on a cluster.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SchemaLayoutTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Every_table_has_a_place_on_Citus_and_every_key_of_tenant_data_leads_with_the_customer()
    {
        await using var db = NpgsqlDataSource.Create(await fixture.AppHost.ConnectionStringAsync(ResourceNames.ReadingsDatabase));
        var tables = await Sql.ListAsync(db, "SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1", r => r.GetString(0));
        var placed = CitusDistribution.DistributedTables.Concat(CitusDistribution.ReferenceTables).Concat(CitusDistribution.CoordinatorTables).ToHashSet();
        Assert.Equal([], tables.Where(t => !placed.Contains(t)).ToArray());   // a table without a place in CitusDistribution
        Assert.Equal([], placed.Where(t => !tables.Contains(t)).ToArray());   // a place for a table that is gone

        var keys = await Sql.ListAsync(db, """
            SELECT c.conrelid::regclass::text, c.conname::text, a.attname::text
            FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype IN ('p', 'u', 'x') AND c.connamespace = 'public'::regnamespace
            """, r => (Table: r.GetString(0), Key: r.GetString(1), First: r.GetString(2)));
        var uniqueIndexes = await Sql.ListAsync(db, """
            SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, a.attname::text
            FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indisunique AND i.indrelid::regclass::text = ANY($1)
            """, r => (Table: r.GetString(0), Key: r.GetString(1), First: r.GetString(2)), (object)CitusDistribution.DistributedTables);
        var offending = keys.Concat(uniqueIndexes)
            .Where(k => CitusDistribution.DistributedTables.Contains(k.Table) && k.First != CitusDistribution.DistributionColumn)
            .Select(k => $"{k.Table}.{k.Key} leads with {k.First}")
            .ToList();
        Assert.Empty(offending);
    }
}
