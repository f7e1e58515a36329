using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IotAspire.Shared.Security;

/// <summary>Configured under <c>KeyRing</c>: where a service's Data Protection key ring lives.</summary>
public sealed class KeyRingOptions
{
    public const string Section = "KeyRing";

    /// <summary>
    /// Outside the database, readable only by this service, kept between restarts (and shared by replicas), so that a
    /// copy of the database alone reveals no secret it holds. Empty: ASP.NET Core's per-user default.
    /// </summary>
    [MaxLength(4_096)]
    public string? Directory { get; set; }
}

public static class KeyRingExtensions
{
    /// <summary>
    /// ASP.NET Core Data Protection for what a service keeps encrypted at rest (the token service's signing keys, the
    /// API's webhook secrets), under <paramref name="applicationName"/>: keys protected under another name cannot be read.
    /// </summary>
    public static IDataProtectionBuilder AddKeyRing(this IHostApplicationBuilder builder, string applicationName)
    {
        builder.Services.AddOptions<KeyRingOptions>().Bind(builder.Configuration.GetSection(KeyRingOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var directory = builder.Configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>()?.Directory;
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName(applicationName);
        if (!string.IsNullOrWhiteSpace(directory))
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(directory));
        }

        return dataProtection;
    }
}
