using IotAspire.Api.Errors;
using Npgsql;
using NpgsqlTypes;

namespace IotAspire.Api.ReadingsStore;

/// <summary>One group's buckets: the devices whose tag has the group's value (null: devices without the tag).</summary>
public sealed record GroupBuckets(string? Group, int DeviceCount, IReadOnlyList<AggregatedValue> AggregatedValues);

/// <summary>
/// Answers across devices: per group of a customer's devices (by the value of one tag) and bucket, one answer over every
/// reading of the group's series of one key. The figures the rollups keep (mean, min, max, sum, count) are read as
/// <c>deviceAggregates</c> reads them (rollup parts and pending spans, in one snapshot) and summed per group in the same
/// statement (<see cref="BucketStatements.GroupedBuckets"/>); the others are computed over the group's readings
/// (<see cref="BucketStatements.GroupReadings"/>).
/// </summary>
public sealed class GroupBucketsReader(NpgsqlDataSource dataSource)
{
    /// <summary>The series of the request's key (one) of the customer's devices carrying its tags, with the group of each.</summary>
    public async Task<IReadOnlyList<(SeriesName Series, string? Group)>> GroupedSeriesAsync(AggregateRequest request, string groupBy, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(BucketStatements.GroupedSeries(SeriesScope.Of(request)));
        DeviceAggregatesReader.AddSeriesScope(request, command.Parameters);
        command.Parameters.Add(new("group_by", NpgsqlDbType.Text) { Value = groupBy });

        await using var reader = await command.ExecuteReaderAsync(ct);
        var series = new List<(SeriesName, string?)>();
        while (await reader.ReadAsync(ct))
        {
            if (series.Count == AggregateRequest.MaxSeries)
            {
                throw ApiErrors.BadInput($"The groups hold more than {AggregateRequest.MaxSeries} devices; narrow them with tags.");
            }

            series.Add((new SeriesName(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3)), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return series;
    }

    /// <summary>Per group, its buckets with readings, in bucket order; groups by value (null last).</summary>
    public async Task<IReadOnlyList<GroupBuckets>> ReadAsync(AggregateRequest request, IReadOnlyList<(SeriesName Series, string? Group)> grouped, CancellationToken ct)
    {
        request = request with { Series = [.. grouped.Select(g => g.Series)] };
        var functions = request.Functions;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var snapshot = !functions.NeedsReadings;
        var pending = snapshot ? await DeviceAggregatesReader.PendingSpansAsync(request, connection, ct) : [];

        await using var batch = new NpgsqlBatch(connection);
        var command = new NpgsqlBatchCommand();
        batch.BatchCommands.Add(command);
        if (snapshot)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        }

        DeviceAggregatesReader.AddScope(request, command.Parameters);
        command.Parameters.Add(new("groups", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = grouped.Select(g => (object?)g.Group ?? DBNull.Value).ToArray() });
        var segments = DeviceAggregatesReader.AddPlan(request, pending, command.Parameters);
        var utc = request.Layout.IsUtc;
        command.CommandText = snapshot
            ? BucketStatements.GroupedBuckets(BucketScope.Of(request), [.. segments.Select((segment, i) => BucketStatements.Part(i, segment.Grain, BucketScope.Of(request),
                sameSizeAsAnswer: utc && segment.Grain?.Minutes == request.AggregationSizeMinutes, utc, BucketFunctions.FromRollups))])
            : BucketStatements.GroupReadings(utc, functions);

        var groups = new Dictionary<string, List<AggregatedValue>>();
        const string NoGroup = "\0";   // no tag value holds a control character (DeviceTags)
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            var at = (Bucket: reader.GetOrdinal(BucketColumns.Bucket), Sum: reader.GetOrdinal(BucketColumns.Sum), Count: reader.GetOrdinal(BucketColumns.Count),
                Min: reader.GetOrdinal(BucketColumns.Min), Max: reader.GetOrdinal(BucketColumns.Max));
            while (await reader.ReadAsync(ct))
            {
                var group = reader.IsDBNull(0) ? NoGroup : reader.GetString(0);
                var (sum, count) = (reader.GetDouble(at.Sum), reader.GetDouble(at.Count));
                var value = new AggregatedValue(request.Layout.Label(reader.GetFieldValue<DateTimeOffset>(at.Bucket)),
                    functions.Has(BucketFunction.Mean) ? sum / count : null,
                    functions.Has(BucketFunction.Min) ? reader.GetDouble(at.Min) : null, functions.Has(BucketFunction.Max) ? reader.GetDouble(at.Max) : null,
                    functions.Has(BucketFunction.Sum) ? sum : null, functions.Has(BucketFunction.Count) ? (int)count : 0,
                    functions.NeedsReadings ? Nullable(reader, BucketColumns.Stddev) : null,
                    functions.NeedsReadings ? Nullable(reader, BucketColumns.First) : null,
                    functions.NeedsReadings ? Nullable(reader, BucketColumns.Last) : null)
                {
                    PercentileFractions = functions.Has(BucketFunction.Percentiles) ? functions.PercentileFractions : null,
                    PercentileValues = functions.Has(BucketFunction.Percentiles) ? reader.GetFieldValue<double[]>(reader.GetOrdinal(BucketColumns.Percentiles)) : null,
                };
                (groups.TryGetValue(group, out var values) ? values : groups[group] = []).Add(value);
            }
        }

        var devices = grouped.GroupBy(g => g.Group ?? NoGroup).ToDictionary(g => g.Key, g => g.Select(s => s.Series.DeviceId).Distinct().Count());
        return [.. devices.Keys.OrderBy(group => group == NoGroup).ThenBy(group => group, StringComparer.Ordinal).Select(group => new GroupBuckets(
            group == NoGroup ? null : group, devices[group],
            groups.TryGetValue(group, out var values) ? [.. values.OrderBy(v => v.From)] : []))];
    }

    private static double? Nullable(NpgsqlDataReader reader, string column) =>
        reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : reader.GetDouble(i);
}
