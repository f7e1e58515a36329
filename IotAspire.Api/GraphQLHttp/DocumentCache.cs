using GraphQL;
using GraphQL.DI;
using GraphQLParser.AST;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.GraphQLHttp;

/// <summary>
/// Keeps parsed documents by query text, so a device sending the same mutation again skips the parser and
/// the validation rules, which depend only on the document and the schema. Authentication is checked by
/// the HTTP endpoint before execution, for cached and new documents alike.
/// </summary>
public sealed class DocumentCache(IOptions<GraphQLHttpOptions> options) : IConfigureExecution, IDisposable
{
    // Bounded by the bytes of the documents' text (their parsed form grows with it), not by their number.
    private readonly MemoryCache documents = new(new MemoryCacheOptions { SizeLimit = options.Value.DocumentCacheBytes });

    public float SortOrder => 200;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        if (options.Document is not null || options.Query is not { } query)
        {
            return await next(options);
        }

        if (documents.TryGetValue(query, out GraphQLDocument? cached))
        {
            options.Document = cached;
            return await next(options);
        }

        var result = await next(options);
        // Only documents that parsed and validated are worth keeping.
        if (result.Executed && result.Document is { } parsed)
        {
            documents.Set(query, parsed, new MemoryCacheEntryOptions { Size = sizeof(char) * (long)query.Length, SlidingExpiration = TimeSpan.FromHours(1) });
        }

        return result;
    }

    public void Dispose() => documents.Dispose();
}
