using System.Globalization;

namespace IotAspire.Load;

/// <summary>What to run: <c>--devices 50 --minutes 5 --admin-password ...</c> (every option has a default but the password).</summary>
public sealed record LoadOptions
{
    public Uri ApiUrl { get; init; } = new("http://localhost:8000");
    public Uri AuthUrl { get; init; } = new("http://localhost:8001");
    public string AdminUsername { get; init; } = "admin";
    public string AdminPassword { get; init; } = "";
    public int Devices { get; init; } = 50;
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(5);
    public int BatchSize { get; init; } = 100;
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Every this-many batches a device sends its previous batch again, as a device that missed the answer would.</summary>
    public int ResendEvery { get; init; } = 10;

    /// <summary>Reads <c>--name value</c> pairs; an unknown or malformed option is an error naming it.</summary>
    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        for (var i = 0; i < args.Length; i += 2)
        {
            var (name, value) = (args[i], i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value."));
            options = name switch
            {
                "--api" => options with { ApiUrl = new Uri(value) },
                "--auth" => options with { AuthUrl = new Uri(value) },
                "--admin-username" => options with { AdminUsername = value },
                "--admin-password" => options with { AdminPassword = value },
                "--devices" => options with { Devices = int.Parse(value, CultureInfo.InvariantCulture) },
                "--minutes" => options with { Duration = TimeSpan.FromMinutes(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--batch" => options with { BatchSize = int.Parse(value, CultureInfo.InvariantCulture) },
                "--interval-ms" => options with { Interval = TimeSpan.FromMilliseconds(int.Parse(value, CultureInfo.InvariantCulture)) },
                _ => throw new ArgumentException($"Unknown option {name}; use --api, --auth, --admin-username, --admin-password, --devices, --minutes, --batch, --interval-ms."),
            };
        }

        return string.IsNullOrEmpty(options.AdminPassword)
            ? throw new ArgumentException("--admin-password is required (the AppHost's admin-password parameter): the run creates a customer of its own.")
            : options;
    }
}
