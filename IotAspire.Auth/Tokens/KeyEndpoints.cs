using IotAspire.Auth.Security;
using IotAspire.Shared.Security;
using Microsoft.IdentityModel.Tokens;

namespace IotAspire.Auth.Tokens;

/// <summary>
/// OpenID Connect discovery and the JWKS: how the API (and anyone else) finds the public keys that
/// verify our access tokens, with no shared secret. Plus key rotation for administrators.
/// </summary>
public static class KeyEndpoints
{
    public const string JwksPath = "/.well-known/jwks.json";

    private static readonly string[] GrantTypes = ["password", "refresh_token"];
    private static readonly string[] ClientAuthMethods = ["none"];
    private static readonly string[] SigningAlgorithms = [AccessTokenDefaults.Algorithm];
    private static readonly string[] Claims = [IotClaimTypes.Subject, IotClaimTypes.Name, IotClaimTypes.Role, IotClaimTypes.CustomerId];

    public static IEndpointRouteBuilder MapKeyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(AccessTokenDefaults.DiscoveryPath, (HttpRequest request) =>
        {
            // URLs are built from the request, so they hold at whatever address the caller reached us.
            var origin = $"{request.Scheme}://{request.Host}";
            return Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = AccessTokenDefaults.Issuer,
                ["jwks_uri"] = origin + JwksPath,
                ["token_endpoint"] = origin + "/api/token",
                ["grant_types_supported"] = GrantTypes,
                ["token_endpoint_auth_methods_supported"] = ClientAuthMethods,
                ["id_token_signing_alg_values_supported"] = SigningAlgorithms,
                ["claims_supported"] = Claims,
            });
        }).AllowAnonymous();

        app.MapGet(JwksPath, async (SigningKeyStore store, HttpResponse response, CancellationToken ct) =>
        {
            var keys = await store.GetPublishedKeysAsync(ct);
            response.Headers.CacheControl = "public, max-age=300";
            return Results.Json(new { keys = keys.Select(PublicJwk) });
        }).AllowAnonymous();

        app.MapPost("/api/signing-keys/rotate", async (SigningKeyStore store, CancellationToken ct) =>
            {
                var (keyId, activatesAt) = await store.RotateAsync(ct);
                return Results.Ok(new { keyId, activatesAt });
            })
            .RequireAuthorization(AuthPolicies.AdminApi);

        return app;
    }

    /// <summary>Only the public half: kty, crv, x and y (RFC 7518 §6.2.1), never the private d.</summary>
    private static object PublicJwk(ECDsaSecurityKey key)
    {
        var parameters = key.ECDsa.ExportParameters(includePrivateParameters: false);
        return new
        {
            kty = "EC",
            use = "sig",
            alg = AccessTokenDefaults.Algorithm,
            kid = key.KeyId,
            crv = "P-256",
            x = Base64UrlEncoder.Encode(parameters.Q.X),
            y = Base64UrlEncoder.Encode(parameters.Q.Y),
        };
    }
}
