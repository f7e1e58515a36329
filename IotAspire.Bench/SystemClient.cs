using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using IotAspire.Load;

namespace IotAspire.Bench;

/// <summary>The system as its clients use it: sign in at the token service, send GraphQL over HTTP.</summary>
public sealed class SystemClient(BenchTarget target) : IDisposable
{
    public const string CustomerPassword = "Bench-Customer-Pw-42";

    private readonly HttpClient auth = new() { BaseAddress = target.Auth };
    private TokenServiceCalls TokenService => new(auth);   // a thin wrapper over the one client

    // Enough connections for every concurrent client; no per-request handler set-up in what is timed.
    private readonly HttpClient api = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = target.Api, Timeout = TimeSpan.FromMinutes(2) };

    public Task<string> SignInAsync(string userName, string password, CancellationToken ct) => TokenService.SignInAsync(userName, password, ct);

    public Task<string> AdminTokenAsync(CancellationToken ct) => SignInAsync(target.AdminUserName, target.AdminPassword, ct);

    /// <summary>
    /// A token source that signs in again once its token is <see cref="TokenReuse"/> old: access tokens live
    /// five minutes, and a benchmark section lasts longer. Signing in happens outside every timed call.
    /// </summary>
    public static Func<Task<string>> Tokens(Func<CancellationToken, Task<string>> signIn, CancellationToken ct)
    {
        (string Token, DateTimeOffset At)? current = null;
        return async () =>
        {
            if (current is not { } held || DateTimeOffset.UtcNow - held.At > TokenReuse)
            {
                current = held = (await signIn(ct), DateTimeOffset.UtcNow);
            }

            return held.Token;
        };
    }

    private static readonly TimeSpan TokenReuse = TimeSpan.FromMinutes(3);

    /// <summary>A customer user for <paramref name="customerId"/> (made on the first run, kept after), signed in.</summary>
    public async Task<string> CustomerTokenAsync(string userName, Guid customerId, CancellationToken ct)
    {
        await TokenService.CreateCustomerAsync(await AdminTokenAsync(ct), userName, CustomerPassword, customerId, mayExist: true, ct);
        return await SignInAsync(userName, CustomerPassword, ct);
    }

    /// <summary>Posts a GraphQL request already serialised (serialising is the client's cost, not the API's) and reads the whole answer.</summary>
    public async Task<JsonElement> GraphQLAsync(byte[] body, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(request, ct);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return response.IsSuccessStatusCode && !answer.TryGetProperty("errors", out _)
            ? answer.GetProperty("data")
            : throw new GraphQLRefusedException(answer.TryGetProperty("errors", out var errors) ? errors[0].GetProperty("message").GetString()! : $"HTTP {(int)response.StatusCode}");
    }

    /// <summary>Posts a GraphQL request and reads the whole answer: its status and its first error's code, if any.</summary>
    public async Task<(int Status, string? ErrorCode)> GraphQLOutcomeAsync(byte[] body, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(request, ct);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var code = answer.TryGetProperty("errors", out var errors) && errors[0].TryGetProperty("extensions", out var extensions)
            && extensions.TryGetProperty("code", out var c) ? c.GetString() : answer.TryGetProperty("errors", out _) ? "" : null;
        return ((int)response.StatusCode, code);
    }

    /// <summary>Downloads an export as it arrives (never holding it): its lines and bytes.</summary>
    public async Task<(long Lines, long Bytes)> ExportAsync(string url, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[81920];
        var (lines, bytes) = (0L, 0L);
        for (var read = await body.ReadAsync(buffer, ct); read > 0; read = await body.ReadAsync(buffer, ct))
        {
            bytes += read;
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return (lines, bytes);
    }

    public static byte[] Request(string query, object variables) => JsonSerializer.SerializeToUtf8Bytes(new { query, variables });

    public void Dispose()
    {
        auth.Dispose();
        api.Dispose();
    }
}

/// <summary>The API answered with an error (a refused request, such as one over the bucket limit).</summary>
public sealed class GraphQLRefusedException(string message) : Exception(message);
