using IotAspire.Api.ReadingsStore;

namespace IotAspire.Api.RawReadings;

/// <summary>One page of raw readings as a Relay connection (<c>ReadingConnection</c> in the schema).</summary>
public sealed record ReadingConnection(IReadOnlyList<ReadingEdge> Edges, PageInfo PageInfo);

/// <summary>A reading and the cursor that continues after it.</summary>
public sealed record ReadingEdge(string Cursor, StoredReading Node);

/// <summary>Relay's page info. Only forward paging (<c>first</c>, <c>after</c>) is offered.</summary>
public sealed record PageInfo(bool HasNextPage, bool HasPreviousPage, string? StartCursor, string? EndCursor);
