using System.ComponentModel.DataAnnotations;
using IotAspire.Api.Security;
using Microsoft.Extensions.Options;

namespace IotAspire.Api.Devices;

/// <summary>
/// Device tokens the AppHost gives out before anyone can sign in (<c>Bootstrap:DeviceTokens</c>): the
/// simulator's, one per device, derived from a secret seed (<see cref="DeviceTokenText.ForDevice"/>), so the
/// simulator sends with device tokens and never holds a customer's password. Checked at start.
/// </summary>
public sealed class DeviceTokenBootstrapOptions : IValidatableObject
{
    public const string Section = "Bootstrap:DeviceTokens";

    /// <summary>No tokens without it.</summary>
    public string? Seed { get; set; }

    public Guid CustomerId { get; set; }

    public List<Guid> DeviceIds { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Seed is null)
        {
            yield break;
        }

        if (Seed.Length < 22)
        {
            yield return new ValidationResult("Bootstrap:DeviceTokens:Seed must be at least 22 characters (128 bits).", [nameof(Seed)]);
        }

        if (CustomerId == Guid.Empty || DeviceIds.Count == 0 || DeviceIds.Contains(Guid.Empty))
        {
            yield return new ValidationResult("Bootstrap:DeviceTokens with a Seed names its CustomerId and its DeviceIds.", [nameof(CustomerId), nameof(DeviceIds)]);
        }
    }
}

/// <summary>
/// Stores the hashes of the bootstrap tokens at start, after the migrations, claiming each device for the
/// customer. A token already stored is left as it is, so one an administrator revoked stays revoked.
/// </summary>
public sealed class DeviceTokenBootstrap(DeviceTokenStore store, IOptions<DeviceTokenBootstrapOptions> options, ILogger<DeviceTokenBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value is not { Seed: { } seed } settings)
        {
            return;
        }

        foreach (var deviceId in settings.DeviceIds)
        {
            DeviceTokenFormat.TryRead(DeviceTokenText.ForDevice(seed, deviceId), out var id, out var secretHash);
            if (!await store.EnsureAsync(id, deviceId, settings.CustomerId, secretHash, "bootstrap", cancellationToken))
            {
                logger.LogWarning("Device {DeviceId} belongs to another customer than {CustomerId}: its bootstrap device token was not stored", deviceId, settings.CustomerId);
            }
        }

        logger.LogInformation("{Count} bootstrap device tokens for customer {CustomerId} are stored", settings.DeviceIds.Count, settings.CustomerId);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
