using System.Net;
using IotAspire.Tests.Infrastructure;
using Npgsql;

namespace IotAspire.Tests.Accounts;

/// <summary>The original system's token tests, ported, plus refresh rotation and expiry.</summary>
[Collection(SecondAppHostCollection.Name)]
public sealed class TokenEndpointTests(SecondAppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);

    [Theory]
    [InlineData("/api/token")]
    [InlineData("/api/token/")]
    public async Task An_active_user_logs_in_and_gets_an_access_and_a_refresh_token(string path)
    {
        var user = await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword);

        var (status, body) = await auth.PostAsync(path, new { username = user.ToUpperInvariant(), password = TokenServiceClient.CustomerPassword });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, body.GetProperty("access").GetString()!.Split('.').Length);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh").GetString()));
    }

    [Fact]
    public async Task Wrong_password_unknown_user_and_inactive_user_get_the_same_401()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var inactive = await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword);
        using var deactivate = new HttpRequestMessage(HttpMethod.Patch, $"/api/users/{inactive}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { isActive = false }),
        };
        Assert.Equal(HttpStatusCode.OK, (await auth.SendAsync(deactivate, admin)).Status);
        var active = await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword);

        var wrongPassword = await auth.SignInAsync(active, "Not-the-password-1");
        var unknownUser = await auth.SignInAsync($"nobody-{Guid.NewGuid():N}", TokenServiceClient.CustomerPassword);
        var inactiveUser = await auth.SignInAsync(inactive, TokenServiceClient.CustomerPassword);

        Assert.All([wrongPassword, unknownUser, inactiveUser], answer => Assert.Equal(HttpStatusCode.Unauthorized, answer.Status));
        Assert.Equal(wrongPassword.Body.ToString(), unknownUser.Body.ToString());
        Assert.Equal(wrongPassword.Body.ToString(), inactiveUser.Body.ToString());
    }

    [Fact]
    public async Task Verify_accepts_a_real_access_token_and_rejects_abc()
    {
        var (access, refresh) = await auth.TokensAsync(await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword);

        Assert.Equal(HttpStatusCode.OK, (await auth.PostAsync("/api/token/verify/", new { token = access })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/verify/", new { token = "abc" })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/verify/", new { token = refresh })).Status);
    }

    [Fact]
    public async Task Refresh_rotates_the_token_and_a_reused_token_revokes_its_family()
    {
        var (_, first) = await auth.TokensAsync(await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword);

        var (status, rotated) = await auth.PostAsync("/api/token/refresh/", new { refresh = first });
        Assert.Equal(HttpStatusCode.OK, status);
        var second = rotated.GetProperty("refresh").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.OK, (await auth.PostAsync("/api/token/verify", new { token = rotated.GetProperty("access").GetString() })).Status);

        // The first token again: a replay. It fails, and so does the successor handed out for it.
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/refresh", new { refresh = first })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/refresh", new { refresh = second })).Status);
    }

    [Fact]
    public async Task Deactivating_a_user_ends_its_refresh_tokens()
    {
        var user = await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword);
        var (_, refresh) = await auth.TokensAsync(user, TokenServiceClient.CustomerPassword);

        using var deactivate = new HttpRequestMessage(HttpMethod.Patch, $"/api/users/{user}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { isActive = false }),
        };
        Assert.Equal(HttpStatusCode.OK, (await auth.SendAsync(deactivate, await auth.AdminAccessTokenAsync())).Status);

        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/refresh", new { refresh })).Status);
    }

    [Fact]
    public async Task An_expired_refresh_token_is_refused()
    {
        var user = await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword);
        var (_, refresh) = await auth.TokensAsync(user, TokenServiceClient.CustomerPassword);
        await using (var db = new NpgsqlConnection(await fixture.AppHost.ConnectionStringAsync("accounts")))
        {
            await db.OpenAsync();
            await using var expire = new NpgsqlCommand(
                "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM users WHERE user_name = $1)", db)
            {
                Parameters = { new() { Value = user } },
            };
            Assert.Equal(1, await expire.ExecuteNonQueryAsync());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/refresh", new { refresh })).Status);
    }

    [Fact]
    public async Task After_five_failures_the_username_is_locked_even_for_the_right_password_and_for_unknown_users()
    {
        var user = await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword);
        var unknown = $"ghost-{Guid.NewGuid():N}";

        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await auth.SignInAsync(user, "Wrong-password-1")).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await auth.SignInAsync(unknown, "Wrong-password-1")).Status);
        }

        var locked = await auth.SignInAsync(user, TokenServiceClient.CustomerPassword);
        var lockedUnknown = await auth.SignInAsync(unknown, TokenServiceClient.CustomerPassword);

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.Status);
        Assert.Contains("Try again in", locked.Body.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.TooManyRequests, lockedUnknown.Status);
        using var response = await auth.Http.PostAsync("/api/token", System.Net.Http.Json.JsonContent.Create(new { username = user, password = TokenServiceClient.CustomerPassword }));
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(14));
    }

    [Fact]
    public async Task Forty_parallel_wrong_passwords_get_at_most_five_evaluated_and_the_rest_429()
    {
        var user = await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword);

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => auth.SignInAsync(user, "Wrong-password-1")));

        var evaluated = answers.Count(a => a.Status == HttpStatusCode.Unauthorized);
        Assert.InRange(evaluated, 1, 5);
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{a.Status}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await auth.SignInAsync(user, TokenServiceClient.CustomerPassword)).Status);
    }

    [Fact]
    public async Task One_address_hammering_the_sign_in_endpoint_is_rate_limited_with_retry_after()
    {
        // Twice the burst at once: far faster than the bucket refills, however slow the machine.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 2 * RunningAppHost.SignInBurst).Select(async _ =>
        {
            // A malformed body costs the service nothing but still counts against the address.
            using var response = await auth.Http.PostAsync("/api/token", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta);
        }));

        var limited = statuses.Where(s => s.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, s => Assert.True(s.RetryAfter >= TimeSpan.FromSeconds(1), $"Retry-After {s.RetryAfter}"));
        Assert.All(statuses.Except(limited), s => Assert.Equal(HttpStatusCode.BadRequest, s.StatusCode));

        // Let the bucket refill for the tests that follow.
        await Task.Delay(TimeSpan.FromSeconds(1 + RunningAppHost.SignInBurst / RunningAppHost.SignInRefillPerSecond));
    }

    [Fact]
    public async Task A_malformed_body_gets_400_naming_the_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/token")
        {
            Content = new StringContent("{\"username\": \"a\", \"pasword\": \"b\"}", System.Text.Encoding.UTF8, "application/json"),
        };

        var (status, body) = await auth.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("errors").TryGetProperty("pasword", out _), body.ToString());
    }
}
