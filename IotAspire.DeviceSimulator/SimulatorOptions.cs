using System.ComponentModel.DataAnnotations;

namespace IotAspire.DeviceSimulator;

/// <summary>Configured under <c>Simulator</c>; the AppHost points the URLs at its services. Checked at start.</summary>
public sealed class SimulatorOptions
{
    public const string Section = "Simulator";

    [Required, Url]
    public string AuthUrl { get; set; } = "http://localhost:8001";

    [Required, Url]
    public string ApiUrl { get; set; } = "http://localhost:8000";

    [Required]
    public string Username { get; set; } = "demo-customer";

    /// <summary>No default: the AppHost passes its <c>simulator-password</c> parameter.</summary>
    [Required]
    public string Password { get; set; } = "";

    /// <summary>The demo customer's id, for the log; the token service knows it from the AppHost.</summary>
    public Guid CustomerId { get; set; } = Guid.Parse("5f0c3a1e-7d2b-4e8a-9c61-2b7f4d9e8a10");

    [Range(1, 10_000)]
    public int Devices { get; set; } = 5;

    [Range(0.01, 100_000)]
    public double ReadingsPerSecond { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Stop after this long (tests); run until stopped when null.</summary>
    public TimeSpan? Duration { get; set; }
}
