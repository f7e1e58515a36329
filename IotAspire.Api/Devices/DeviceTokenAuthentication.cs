using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using IotAspire.Api.Security;
using IotAspire.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.Devices;

/// <summary>
/// Checks a presented device token against its stored hash. A token found is kept for
/// <see cref="CacheFor"/>, so a device sending a batch a second costs no lookup per batch, and a revocation
/// takes effect on every API replica within that time. Only tokens that exist are kept, so made-up ids
/// cannot grow the cache. At most <see cref="MaxConcurrentLookups"/> lookups run at once: a fleet reconnecting
/// together (a thousand MQTT devices after an outage) took every database connection the server had before this bound.
/// </summary>
public sealed class DeviceTokenValidator(DeviceTokenStore store, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    public const int MaxConcurrentLookups = 8;

    private readonly SemaphoreSlim lookups = new(MaxConcurrentLookups);

    public void Dispose() => lookups.Dispose();

    private readonly ConcurrentDictionary<Guid, (StoredDeviceToken Token, DateTimeOffset Until)> found = new();

    /// <summary>The token's device and customer, or null for a malformed, unknown, wrong or revoked token.</summary>
    public async Task<StoredDeviceToken?> ValidateAsync(string token, CancellationToken ct)
    {
        if (!DeviceTokenFormat.TryRead(token, out var id, out var presentedHash))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (!found.TryGetValue(id, out var entry) || entry.Until <= now)
        {
            await lookups.WaitAsync(ct);
            try
            {
                // Another caller may have looked it up while this one waited.
                if (!found.TryGetValue(id, out entry) || entry.Until <= now)
                {
                    if (await store.FindAsync(id, ct) is not { } stored)
                    {
                        found.TryRemove(id, out _);
                        return null;
                    }

                    entry = (stored, now + CacheFor);
                    found[id] = entry;
                }
            }
            finally
            {
                lookups.Release();
            }
        }

        return !entry.Token.Revoked && DeviceTokenFormat.Matches(entry.Token.SecretHash, presentedHash) ? entry.Token : null;
    }
}

/// <summary>
/// The <see cref="DeviceTokenFormat.Scheme"/> authentication scheme: a valid device token signs the request in
/// with the <see cref="IotRoles.Device"/> role, its customer and its device.
/// </summary>
public sealed class DeviceTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, DeviceTokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? authorization = Request.Headers.Authorization;
        if (!DeviceTokenFormat.IsDeviceToken(authorization))
        {
            return AuthenticateResult.NoResult();
        }

        if (await validator.ValidateAsync(authorization!["Bearer ".Length..], Context.RequestAborted) is not { } token)
        {
            return AuthenticateResult.Fail("The device token is malformed, unknown or revoked.");
        }

        var device = token.AsCaller();
        var identity = new ClaimsIdentity(
            [
                new Claim(IotClaimTypes.Name, device.UserName),
                new Claim(IotClaimTypes.Role, device.Role),
                new Claim(IotClaimTypes.CustomerId, token.CustomerId.ToString()),
                new Claim(IotClaimTypes.DeviceId, token.DeviceId.ToString()),
            ],
            Scheme.Name, IotClaimTypes.Name, IotClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }
}
