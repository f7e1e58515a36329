using IotAspire.Api.Security;
using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.RawReadings;

/// <summary>The <c>readings</c> query: a customer's raw readings, a page at a time, in time order.</summary>
public sealed class ReadRawReadings(RawReadingsReader reader)
{
    public async Task<ReadingConnection> PageAsync(
        Caller caller, IReadOnlyList<Guid>? deviceIds, DateTimeOffset? from, DateTimeOffset? to, int? first, string? after, Guid? customerId, CancellationToken ct,
        IReadOnlyList<string>? keys = null, IReadOnlyList<Tag>? tags = null)
    {
        var request = RawReadingsRequest.Check(caller, deviceIds, from, to, customerId, keys, tags);
        var take = RawReadingsRequest.CheckPageSize(first);
        var cursor = after is null ? (ReadingCursor?)null : ReadingCursor.Decode(after);
        // One more than the page: whether there is a next page, without a count.
        var readings = await reader.PageAsync(request, cursor, take + 1, ct);
        var edges = readings.Take(take).Select(r => new ReadingEdge(new ReadingCursor(r.Timestamp, SeriesIds.Of(r.DeviceId, r.Key)).Encode(), r)).ToList();
        return new ReadingConnection(edges, new PageInfo(
            HasNextPage: readings.Count > take,
            HasPreviousPage: cursor is not null,   // Relay allows false when paging forward; a cursor means readings before it
            StartCursor: edges.FirstOrDefault()?.Cursor,
            EndCursor: edges.LastOrDefault()?.Cursor ?? after));
    }
}
