using IotAspire.Auth.Tokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace IotAspire.Auth.Security;

/// <summary>
/// Lets JwtBearer in the token service validate against the key store directly, where other services
/// read the same keys over HTTP from the JWKS endpoint.
/// </summary>
internal sealed class OwnKeysConfigurationManager(SigningKeyStore store) : IConfigurationManager<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var configuration = new OpenIdConnectConfiguration();
        foreach (var key in await store.GetPublishedKeysAsync(cancel))
        {
            configuration.SigningKeys.Add(key);
        }

        return configuration;
    }

    public void RequestRefresh()
    {
    }
}
