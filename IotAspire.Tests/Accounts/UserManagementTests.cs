using System.Net;
using System.Net.Http.Json;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Accounts;

[Collection(AppHostCollection.Name)]
public sealed class UserManagementTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);

    [Fact]
    public async Task A_customer_token_gets_403_and_no_token_gets_401()
    {
        var (customer, _) = await auth.TokensAsync(await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword);

        using var asCustomer = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        Assert.Equal(HttpStatusCode.Forbidden, (await auth.SendAsync(asCustomer, customer)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.SendAsync(anonymous)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await auth.PostAsync("/api/users",
            new { username = "sneaky-admin", password = TokenServiceClient.CustomerPassword, role = "admin" }, customer)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await auth.PostAsync("/api/signing-keys/rotate", new { }, customer)).Status);
    }

    [Fact]
    public async Task An_administrator_creates_reads_changes_and_deletes_a_user()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var customerId = Guid.NewGuid();
        var userName = $"Crud-{Guid.NewGuid():N}"[..20];

        var (created, body) = await auth.PostAsync("/api/users", new { username = userName, password = TokenServiceClient.CustomerPassword, customerId, role = "customer" }, admin);
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(customerId, body.GetProperty("customerId").GetGuid());
        Assert.False(body.TryGetProperty("passwordHash", out _));

        var (duplicate, _) = await auth.PostAsync("/api/users", new { username = userName.ToLowerInvariant(), password = TokenServiceClient.CustomerPassword, customerId }, admin);
        Assert.Equal(HttpStatusCode.Conflict, duplicate);

        using var list = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        var (_, users) = await auth.SendAsync(list, admin);
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("username").GetString() == userName);

        var otherCustomer = Guid.NewGuid();
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/users/{userName.ToLowerInvariant()}")
        {
            Content = JsonContent.Create(new { customerId = otherCustomer, password = "Changed-Pw-77" }),
        };
        var (patched, changed) = await auth.SendAsync(patch, admin);
        Assert.Equal(HttpStatusCode.OK, patched);
        Assert.Equal(otherCustomer, changed.GetProperty("customerId").GetGuid());
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.SignInAsync(userName, TokenServiceClient.CustomerPassword)).Status);
        Assert.Equal(HttpStatusCode.OK, (await auth.SignInAsync(userName, "Changed-Pw-77")).Status);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/users/{userName}");
        Assert.Equal(HttpStatusCode.NoContent, (await auth.SendAsync(delete, admin)).Status);
        using var get = new HttpRequestMessage(HttpMethod.Get, $"/api/users/{userName}");
        Assert.Equal(HttpStatusCode.NotFound, (await auth.SendAsync(get, admin)).Status);
    }

    [Theory]
    [InlineData("""{"password": "User1@1234", "customerId": "b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df"}""", "username")]
    [InlineData("""{"username": "weak-one", "password": "12345678", "customerId": "b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df"}""", "password")]
    [InlineData("""{"username": "short-one", "password": "Ab1", "customerId": "b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df"}""", "password")]
    [InlineData("""{"username": "no-customer", "password": "User1@1234"}""", "customerId")]
    [InlineData("""{"username": "bad-customer", "password": "User1@1234", "customerId": "not-a-uuid"}""", "customerId")]
    [InlineData("""{"username": "bad-role", "password": "User1@1234", "customerId": "b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df", "role": "root"}""", "role")]
    [InlineData("""{"username": "bad name!", "password": "User1@1234", "customerId": "b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df"}""", "username")]
    [InlineData("""{"username": "typo", "password": "User1@1234", "customerID": "b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df", "rol": "x"}""", "rol")]
    [InlineData("""[1, 2]""", "body")]
    [InlineData("""{"username": """, "body")]
    public async Task An_invalid_body_gets_400_naming_the_field(string json, string field)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/users")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };

        var (status, body) = await auth.SendAsync(request, await auth.AdminAccessTokenAsync());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for '{field}': {body}");
    }
}
