using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace IotAspire.Tests.Infrastructure;

/// <summary>Posts GraphQL requests to the API as a device or a customer's tool would.</summary>
public sealed class GraphQLClient(RunningAppHost appHost)
{
    public HttpClient Http { get; } = appHost.CreateHttpClient(ResourceNames.Api);

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string query, object? variables, string? token, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        return await SendAsync(request, token, accept);
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpRequestMessage request, string? token, string? accept = null) =>
        Http.SendAsync(request, token, accept);

    /// <summary>The data of a request that must succeed; fails the test with the errors otherwise.</summary>
    public async Task<JsonElement> DataAsync(string query, object? variables, string token)
    {
        var (status, body) = await PostAsync(query, variables, token);
        Assert.True(status == HttpStatusCode.OK && !body.TryGetProperty("errors", out _), $"{(int)status}: {body}");
        return body.GetProperty("data");
    }

    /// <summary>Sends every batch through <c>ingestReadings</c> from <paramref name="senders"/> concurrent senders, each taking the next batch not yet sent.</summary>
    public async Task IngestConcurrentlyAsync<T>(IReadOnlyList<T[]> batches, string token, int senders)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < batches.Count; i = Interlocked.Increment(ref next))
            {
                await DataAsync(GraphQLDocuments.Ingest, new { readings = batches[i] }, token);
            }
        })));
    }

    /// <summary>The single error's extensions.code and message of a request that must fail.</summary>
    public static (string Code, string Message) SingleError(JsonElement body)
    {
        Assert.True(body.TryGetProperty("errors", out var errors), $"expected errors: {body}");
        var error = errors[0];
        return (error.GetProperty("extensions").GetProperty("code").GetString()!, error.GetProperty("message").GetString()!);
    }
}
