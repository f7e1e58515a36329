using Microsoft.Playwright;

namespace IotAspire.Tests.Infrastructure;

/// <summary>Debian's Chromium (<c>apt-get install chromium</c>) driven by Playwright; no browser download.</summary>
public static class HeadlessChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = ExecutablePath,
        Headless = true,
        // Without these Chromium reaches for Google's services, which this network refuses.
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
    });
}
