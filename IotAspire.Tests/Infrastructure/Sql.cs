using Npgsql;

namespace IotAspire.Tests.Infrastructure;

/// <summary>Plain SQL against the real database, for what tests check beneath the API: owners, roles, stored rows.</summary>
public static class Sql
{
    /// <summary>Runs statements; <paramref name="parameters"/> bind to <c>$1</c>, <c>$2</c>, ...</summary>
    public static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = Command(dataSource, sql, parameters);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every row, read with <paramref name="read"/>; <paramref name="parameters"/> bind to <c>$1</c>, <c>$2</c>, ...</summary>
    public static async Task<List<T>> ListAsync<T>(NpgsqlDataSource dataSource, string sql, Func<NpgsqlDataReader, T> read, params object[] parameters)
    {
        await using var command = Command(dataSource, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>A row as its values, for <see cref="ListAsync{T}"/>.</summary>
    public static object[] Values(NpgsqlDataReader reader)
    {
        var row = new object[reader.FieldCount];
        reader.GetValues(row);
        return row;
    }

    // A test's own statements (a million rows of set-up, say) may wait their turn behind the collections running beside
    // them on a loaded machine: Npgsql's 30-second default would fail the set-up, not the system. Five minutes bounds a hang.
    private const int CommandTimeoutSeconds = 300;

    private static NpgsqlCommand Command(NpgsqlDataSource dataSource, string sql, object[] parameters)
    {
        var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = CommandTimeoutSeconds;
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }
}
