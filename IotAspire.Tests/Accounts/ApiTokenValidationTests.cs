using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Net.Http.Json;
using System.Text.Json;
using IotAspire.Shared.Security;
using IotAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace IotAspire.Tests.Accounts;

/// <summary>The API trusts the token service's tokens, found through its JWKS, and nothing else.</summary>
[Collection(AppHostCollection.Name)]
public sealed class ApiTokenValidationTests(AppHostFixture fixture)
{
    private readonly TokenServiceClient auth = new(fixture.AppHost);

    [Fact]
    public async Task The_API_accepts_a_real_token_and_reads_the_customer_from_it()
    {
        var customerId = Guid.NewGuid();
        var (access, _) = await auth.TokensAsync(await auth.CreateCustomerAsync(customerId, TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword);

        var (status, body) = await WhoAmIAsync(access);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("customer", body.GetProperty("role").GetString());
        Assert.Equal(customerId, body.GetProperty("customerId").GetGuid());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("abc")]
    public async Task The_API_rejects_a_missing_or_malformed_token_with_401(string? token)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(token)).Status);
    }

    [Fact]
    public async Task The_API_rejects_an_expired_token_even_with_a_valid_signature()
    {
        var (keyId, key) = await CurrentSigningKeyAsync();
        var expired = Sign(key, keyId, expires: DateTime.UtcNow.AddMinutes(-2));
        var fresh = Sign(key, keyId, expires: DateTime.UtcNow.AddMinutes(2));

        // The fresh twin proves the crafted token is otherwise right, so the expiry alone is refused.
        Assert.Equal(HttpStatusCode.OK, (await WhoAmIAsync(fresh)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(expired)).Status);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("not yet valid")]
    [InlineData("wrong issuer")]
    [InlineData("wrong audience")]
    [InlineData("tampered payload")]
    [InlineData("HS256 signed with the public key")]
    public async Task Every_kind_of_bad_token_gets_401_from_the_api_and_the_token_service(string kind)
    {
        var (keyId, key) = await CurrentSigningKeyAsync();
        var now = DateTime.UtcNow;
        SecurityTokenDescriptor Descriptor() => new()
        {
            Issuer = AccessTokenDefaults.Issuer,
            Audience = AccessTokenDefaults.Audience,
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddMinutes(4),
            Claims = new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString(), ["name"] = "crafted", ["role"] = "customer", ["customer_id"] = Guid.NewGuid().ToString() },
            SigningCredentials = new SigningCredentials(key, AccessTokenDefaults.Algorithm) { Key = { KeyId = keyId } },
        };
        var handler = new JsonWebTokenHandler();
        Assert.Equal(HttpStatusCode.OK, (await WhoAmIAsync(handler.CreateToken(Descriptor()))).Status);   // the untouched twin passes

        var bad = Descriptor();
        switch (kind)
        {
            case "expired": (bad.IssuedAt, bad.NotBefore, bad.Expires) = (now.AddMinutes(-10), now.AddMinutes(-10), now.AddMinutes(-2)); break;
            case "not yet valid": (bad.IssuedAt, bad.NotBefore, bad.Expires) = (now.AddMinutes(10), now.AddMinutes(10), now.AddMinutes(15)); break;
            case "wrong issuer": bad.Issuer = "someone-else"; break;
            case "wrong audience": bad.Audience = "another-api"; break;
            case "HS256 signed with the public key":
                var publicKey = key.ECDsa.ExportSubjectPublicKeyInfo();
                bad.SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(publicKey) { KeyId = keyId }, SecurityAlgorithms.HmacSha256);
                break;
        }

        var token = handler.CreateToken(bad);
        if (kind == "tampered payload")
        {
            var parts = token.Split('.');
            var claims = JsonSerializer.Deserialize<Dictionary<string, object>>(Base64UrlEncoder.Decode(parts[1]))!;
            claims["role"] = "admin";
            token = $"{parts[0]}.{Base64UrlEncoder.Encode(JsonSerializer.Serialize(claims))}.{parts[2]}";
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(token)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/verify", new { token })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new GraphQLClient(fixture.AppHost).PostAsync("{ devices { id } }", null, token)).Status);
    }

    [Fact]
    public async Task Two_rotations_within_the_activation_delay_publish_both_next_keys_beside_the_current_one()
    {
        var admin = await auth.AdminAccessTokenAsync();
        var (current, _) = await CurrentSigningKeyAsync();

        var first = (await auth.PostAsync("/api/signing-keys/rotate", new { }, admin)).Body.GetProperty("keyId").GetString();
        var second = (await auth.PostAsync("/api/signing-keys/rotate", new { }, admin)).Body.GetProperty("keyId").GetString();

        var jwks = await auth.Http.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");
        var published = jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        Assert.Contains(current, published);
        Assert.Contains(first, published);
        Assert.Contains(second, published);
        Assert.Equal(current, (await CurrentSigningKeyAsync()).KeyId);   // neither signs yet
    }

    [Fact]
    public async Task Signing_keys_are_encrypted_at_rest_and_the_database_alone_cannot_sign()
    {
        await auth.AdminAccessTokenAsync();
        await using var db = new NpgsqlConnection(await fixture.AppHost.ConnectionStringAsync(ResourceNames.AccountsDatabase));
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT private_key_pkcs8 FROM signing_keys", db);
        await using var reader = await command.ExecuteReaderAsync();
        var stored = new List<byte[]>();
        while (await reader.ReadAsync())
        {
            stored.Add((byte[])reader[0]);
        }

        Assert.NotEmpty(stored);
        Assert.All(stored, bytes =>
        {
            using var ecdsa = ECDsa.Create();
            Assert.ThrowsAny<CryptographicException>(() => ecdsa.ImportPkcs8PrivateKey(bytes, out _));   // not a key as stored
            ecdsa.ImportPkcs8PrivateKey(KeyRing().Unprotect(bytes), out _);                              // a key with the key ring
        });
    }

    [Fact]
    public async Task A_refresh_token_is_not_an_access_token()
    {
        var (_, refresh) = await auth.TokensAsync(await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword), TokenServiceClient.CustomerPassword);

        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(refresh)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/verify", new { token = refresh })).Status);
    }

    [Fact]
    public async Task The_API_rejects_a_token_signed_by_another_key_under_the_real_key_id()
    {
        var (keyId, _) = await CurrentSigningKeyAsync();
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var forged = Sign(new ECDsaSecurityKey(otherKey) { KeyId = keyId }, keyId, DateTime.UtcNow.AddMinutes(2));

        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(forged)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/verify", new { token = forged })).Status);
    }

    [Fact]
    public async Task The_API_rejects_an_unsigned_alg_none_token()
    {
        var (keyId, _) = await CurrentSigningKeyAsync();
        static string Encode(object value) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value)));
        var unsigned = Encode(new { alg = "none", typ = "JWT", kid = keyId }) + "." + Encode(new
        {
            iss = AccessTokenDefaults.Issuer, aud = AccessTokenDefaults.Audience, sub = Guid.NewGuid(),
            name = "intruder", role = "admin", exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
        }) + ".";

        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(unsigned)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.PostAsync("/api/token/verify", new { token = unsigned })).Status);
    }

    [Fact]
    public async Task A_rotated_in_key_is_published_before_it_signs_and_tokens_keep_working()
    {
        var user = await auth.CreateCustomerAsync(Guid.NewGuid(), TokenServiceClient.CustomerPassword);
        var (before, _) = await auth.TokensAsync(user, TokenServiceClient.CustomerPassword);
        Assert.Equal(HttpStatusCode.OK, (await WhoAmIAsync(before)).Status);

        var (status, rotated) = await auth.PostAsync("/api/signing-keys/rotate", new { }, await auth.AdminAccessTokenAsync());
        Assert.Equal(HttpStatusCode.OK, status);
        var nextKeyId = rotated.GetProperty("keyId").GetString();
        Assert.True(rotated.GetProperty("activatesAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(5));

        var jwks = await auth.Http.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");
        var published = jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        var (after, _) = await auth.TokensAsync(user, TokenServiceClient.CustomerPassword);

        Assert.Contains(nextKeyId, published);
        Assert.Contains(new JsonWebToken(before).Kid, published);
        Assert.Equal(new JsonWebToken(before).Kid, new JsonWebToken(after).Kid);
        Assert.Equal(HttpStatusCode.OK, (await WhoAmIAsync(after)).Status);
        Assert.Equal(HttpStatusCode.OK, (await auth.PostAsync("/api/token/verify", new { token = after })).Status);
    }

    [Fact]
    public async Task The_JWKS_publishes_only_public_key_material()
    {
        var jwks = await auth.Http.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");

        foreach (var key in jwks.GetProperty("keys").EnumerateArray())
        {
            Assert.Equal("EC", key.GetProperty("kty").GetString());
            Assert.False(key.TryGetProperty("d", out _));
        }
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> WhoAmIAsync(string? token)
    {
        using var api = fixture.AppHost.CreateHttpClient(ResourceNames.Api);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/whoami");
        return await api.SendAsync(request, token);
    }

    private static string Sign(SecurityKey key, string keyId, DateTime expires) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = AccessTokenDefaults.Issuer,
        Audience = AccessTokenDefaults.Audience,
        IssuedAt = expires.AddMinutes(-5),
        NotBefore = expires.AddMinutes(-5),
        Expires = expires,
        Claims = new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString(), ["name"] = "crafted", ["role"] = "customer", ["customer_id"] = Guid.NewGuid().ToString() },
        SigningCredentials = new SigningCredentials(key, AccessTokenDefaults.Algorithm) { Key = { KeyId = keyId } },
    });

    /// <summary>The token service's key ring, which the test AppHost keeps in a folder of the test run.</summary>
    private IDataProtector KeyRing() => DataProtectionProvider
        .Create(new DirectoryInfo(fixture.AppHost.KeyRingDirectory), b => b.SetApplicationName("IotAspire.Auth"))
        .CreateProtector("IotAspire.Auth.SigningKeys.v1");

    /// <summary>The private key the token service signs with, read from its database and unprotected with its key ring (tests only).</summary>
    private async Task<(string KeyId, ECDsaSecurityKey Key)> CurrentSigningKeyAsync()
    {
        await auth.AdminAccessTokenAsync();   // the first key is made when the first token is signed
        await using var db = new NpgsqlConnection(await fixture.AppHost.ConnectionStringAsync(ResourceNames.AccountsDatabase));
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT key_id, private_key_pkcs8 FROM signing_keys WHERE activates_at <= now() ORDER BY activates_at DESC, key_id LIMIT 1", db);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(KeyRing().Unprotect((byte[])reader[1]), out _);
        return (reader.GetString(0), new ECDsaSecurityKey(ecdsa) { KeyId = reader.GetString(0) });
    }
}
