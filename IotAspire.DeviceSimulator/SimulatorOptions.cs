using System.ComponentModel.DataAnnotations;

namespace IotAspire.DeviceSimulator;

/// <summary>Configured under <c>Simulator</c>; the AppHost points the URL at the API and gives the devices. Checked at start.</summary>
public sealed class SimulatorOptions : IValidatableObject
{
    public const string Section = "Simulator";

    [Required, Url]
    public string ApiUrl { get; set; } = "http://localhost:8000";

    /// <summary>
    /// The devices, each with its own device token (made with <c>createDeviceToken</c>). Run by the AppHost,
    /// <see cref="DeviceIds"/> and <see cref="DeviceTokenSeed"/> are given instead.
    /// </summary>
    public List<SimulatedDevice> Devices { get; set; } = [];

    /// <summary>With <see cref="DeviceTokenSeed"/>: devices whose tokens derive from the seed (<see cref="DeviceTokenText.ForDevice"/>).</summary>
    public List<Guid> DeviceIds { get; set; } = [];

    /// <summary>The AppHost's <c>simulator-device-token-seed</c> parameter; the API stores the same tokens' hashes.</summary>
    public string? DeviceTokenSeed { get; set; }

    /// <summary>How the devices send: GraphQL over HTTP (<c>ingestReadings</c>, the default) or MQTT (<see cref="MqttUrl"/>).</summary>
    public SimulatorProtocol Protocol { get; set; } = SimulatorProtocol.GraphQL;

    /// <summary>The API's MQTT listener (<c>tcp://host:port</c>); the AppHost gives its "mqtt" endpoint.</summary>
    [Required]
    public string MqttUrl { get; set; } = "tcp://localhost:1883";

    [Range(0.01, 100_000)]
    public double ReadingsPerSecond { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Stop after this long (tests); run until stopped when null.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>Every device with its token, whichever way they were given.</summary>
    public IReadOnlyList<SimulatedDevice> AllDevices() =>
        [.. Devices, .. DeviceTokenSeed is { } seed ? DeviceIds.Select(id => new SimulatedDevice { DeviceId = id, Token = DeviceTokenText.ForDevice(seed, id) }) : []];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AllDevices().Count == 0)
        {
            yield return new ValidationResult(
                "Give the simulator its devices: Simulator:Devices:0:DeviceId and Simulator:Devices:0:Token (a device token from createDeviceToken), and so on.",
                [nameof(Devices)]);
        }

        for (var i = 0; i < Devices.Count; i++)
        {
            if (Devices[i].DeviceId == Guid.Empty || !Devices[i].Token.StartsWith(DeviceTokenText.Prefix, StringComparison.Ordinal))
            {
                yield return new ValidationResult(
                    $"Simulator:Devices:{i} needs a DeviceId and a Token: a device token ({DeviceTokenText.Prefix}...) from createDeviceToken.", [nameof(Devices)]);
            }
        }

        if (Protocol == SimulatorProtocol.Mqtt && !(Uri.TryCreate(MqttUrl, UriKind.Absolute, out var mqtt) && mqtt.Scheme is "tcp" or "mqtt" && mqtt.Port > 0))
        {
            yield return new ValidationResult($"Simulator:MqttUrl must be tcp://host:port (the API's MQTT listener), not '{MqttUrl}'.", [nameof(MqttUrl)]);
        }

        if (DeviceIds.Count > 0 && DeviceTokenSeed is null)
        {
            yield return new ValidationResult("Simulator:DeviceIds needs Simulator:DeviceTokenSeed (the AppHost passes both).", [nameof(DeviceTokenSeed)]);
        }
    }
}

/// <summary>A device to simulate and its device token.</summary>
public sealed class SimulatedDevice
{
    public Guid DeviceId { get; set; }

    public string Token { get; set; } = "";
}

/// <summary>How the simulated devices send their readings.</summary>
public enum SimulatorProtocol
{
    GraphQL,
    Mqtt,
}
