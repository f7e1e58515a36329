using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace IotAspire.Tests.Infrastructure;

/// <summary>Calls the token service the way its clients do: JSON in, JSON out.</summary>
public sealed class TokenServiceClient(RunningAppHost appHost)
{
    /// <summary>The original README's customer password; it passes the password policy.</summary>
    public const string CustomerPassword = "User1@1234";

    public HttpClient Http { get; } = appHost.CreateHttpClient(ResourceNames.Auth);

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object body, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        return await SendAsync(request, bearer);
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpRequestMessage request, string? bearer = null) =>
        Http.SendAsync(request, bearer);

    public Task<(HttpStatusCode Status, JsonElement Body)> SignInAsync(string userName, string password) =>
        PostAsync("/api/token/", new { username = userName, password });

    public async Task<(string Access, string Refresh)> TokensAsync(string userName, string password)
    {
        var (status, body) = await SignInAsync(userName, password);
        Assert.True(status == HttpStatusCode.OK, $"sign-in of {userName} answered {(int)status}: {body}");
        return (body.GetProperty("access").GetString()!, body.GetProperty("refresh").GetString()!);
    }

    public async Task<string> AdminAccessTokenAsync() =>
        (await TokensAsync(RunningAppHost.AdminUserName, RunningAppHost.AdminPassword)).Access;

    /// <summary>Creates a customer user with a unique name (tests share one AppHost) and returns the name.</summary>
    public async Task<string> CreateCustomerAsync(Guid customerId, string password, string namePrefix = "customer")
    {
        var userName = $"{namePrefix}-{Guid.NewGuid():N}"[..30];
        var (status, body) = await PostAsync("/api/users",
            new { username = userName, password, customerId, role = "customer" }, await AdminAccessTokenAsync());
        Assert.True(status == HttpStatusCode.Created, $"creating {userName} answered {(int)status}: {body}");
        return userName;
    }

    /// <summary>A new customer (its own customer id) signed in: its access token and customer id.</summary>
    public async Task<(string Token, Guid CustomerId)> NewCustomerAsync()
    {
        var customerId = Guid.NewGuid();
        return ((await TokensAsync(await CreateCustomerAsync(customerId, CustomerPassword), CustomerPassword)).Access, customerId);
    }
}
