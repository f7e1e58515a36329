using System.ComponentModel.DataAnnotations;

namespace IotAspire.Api.GraphQLHttp;

/// <summary>
/// Configured under <c>GraphQLHttp</c>; checked at start. The bounds on the work one request may cause,
/// each refused with an error that names it. Together with the batch size, the bucket limits and the
/// PostgreSQL statement timeout they keep one caller from stalling the API for the others.
/// </summary>
public sealed class GraphQLHttpOptions
{
    public const string Section = "GraphQLHttp";

    /// <summary>A request body larger than this is refused before it is parsed (10 000 readings take ~1.5 MB).</summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The GraphQL document's length in characters (an IDE's introspection query is ~3 000).</summary>
    [Range(256, 1024 * 1024)]
    public int MaxQueryLength { get; set; } = 16 * 1024;

    /// <summary>Root fields one operation may select, aliases and fragments included; <c>ingestReadings</c> at most once.</summary>
    [Range(1, 100)]
    public int MaxRootFields { get; set; } = 4;

    /// <summary>Resolvers one request may run at the same time (each may hold a database connection).</summary>
    [Range(1, 64)]
    public int MaxParallelResolvers { get; set; } = 2;

    /// <summary>A request still running after this is cancelled (its transaction rolled back) and answered 504.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Parsed documents kept, by the size of their text (UTF-16 bytes).</summary>
    [Range(64 * 1024, 1024 * 1024 * 1024)]
    public long DocumentCacheBytes { get; set; } = 16 * 1024 * 1024;
}
