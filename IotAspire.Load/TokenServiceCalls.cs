using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace IotAspire.Load;

/// <summary>The token service as the load and benchmark commands use it: sign in, and make a customer user as an administrator.</summary>
public sealed class TokenServiceCalls(HttpClient auth)
{
    public async Task<string> SignInAsync(string userName, string password, CancellationToken ct)
    {
        using var response = await auth.PostAsJsonAsync("/api/token", new { username = userName, password }, ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return response.IsSuccessStatusCode
            ? body.GetProperty("access").GetString()!
            : throw new InvalidOperationException($"Signing in as '{userName}' answered {(int)response.StatusCode}: {body}");
    }

    /// <summary>Creates a customer user; with <paramref name="mayExist"/> a user of that name already there is fine (a kept data set).</summary>
    public async Task CreateCustomerAsync(string adminToken, string userName, string password, Guid customerId, bool mayExist, CancellationToken ct)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/users")
        {
            Content = JsonContent.Create(new { username = userName, password, customerId, role = "customer" }),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        using var created = await auth.SendAsync(create, ct);
        if (created.StatusCode != HttpStatusCode.Created && !(mayExist && created.StatusCode == HttpStatusCode.Conflict))
        {
            throw new InvalidOperationException($"Creating the customer user '{userName}' answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync(ct)}");
        }
    }
}
