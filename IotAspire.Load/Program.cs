using IotAspire.Load;

// The load command: simulated devices against a running system (started the README's way), then a check
// that what was stored is exactly what was sent. See docs/reliability.md.
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var auth = new HttpClient { BaseAddress = options.AuthUrl };
using var api = new HttpClient { BaseAddress = options.ApiUrl, Timeout = TimeSpan.FromMinutes(2) };
Console.WriteLine($"{options.Devices} devices, batches of {options.BatchSize} every {options.Interval.TotalMilliseconds:0} ms, for {options.Duration.TotalMinutes:0.#} min against {options.ApiUrl}");
var report = await new LoadRun(auth, api, options).RunAsync(line => Console.Write("\r" + line + "   "), CancellationToken.None);
Console.WriteLine();
Console.WriteLine(report);
return report.Exact ? 0 : 1;
