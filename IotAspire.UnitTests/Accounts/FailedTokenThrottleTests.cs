using IotAspire.Shared.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IotAspire.UnitTests.Accounts;

/// <summary>The per-address count of failed token attempts: pure rules, on a clock the test moves.</summary>
public sealed class FailedTokenThrottleTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Warnings : ILogger<FailedTokenThrottle>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId == FailedTokenThrottle.ThrottledEvent)
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }

    private readonly ManualClock clock = new();
    private readonly Warnings log = new();

    private FailedTokenThrottle Throttle(int maxFailures = 3) =>
        new(Options.Create(new FailedTokenThrottlingOptions { MaxFailures = maxFailures, Window = TimeSpan.FromMinutes(1) }), clock, log);

    [Fact]
    public void An_address_is_refused_from_its_limit_until_the_window_ends_and_the_operator_hears_of_it_once()
    {
        var throttle = Throttle();
        throttle.CountFailure("10.0.0.1", "device token");
        throttle.CountFailure("10.0.0.1", "device token");
        Assert.Null(throttle.RetryAfter("10.0.0.1"));

        clock.Now += TimeSpan.FromSeconds(20);
        throttle.CountFailure("10.0.0.1", "access token");
        Assert.Equal(TimeSpan.FromSeconds(40), throttle.RetryAfter("10.0.0.1"));
        Assert.Null(throttle.RetryAfter("10.0.0.2"));   // another address is not touched

        throttle.CountFailure("10.0.0.1", "access token");
        var line = Assert.Single(log.Lines);
        Assert.Contains("10.0.0.1", line, StringComparison.Ordinal);
        Assert.Contains("access token", line, StringComparison.Ordinal);

        clock.Now += TimeSpan.FromSeconds(40);
        Assert.Null(throttle.RetryAfter("10.0.0.1"));
    }

    [Fact]
    public void A_new_window_counts_from_zero()
    {
        var throttle = Throttle();
        throttle.CountFailure("10.0.0.1", "device token");
        throttle.CountFailure("10.0.0.1", "device token");
        clock.Now += TimeSpan.FromMinutes(1);
        throttle.CountFailure("10.0.0.1", "device token");
        throttle.CountFailure("10.0.0.1", "device token");
        Assert.Null(throttle.RetryAfter("10.0.0.1"));
        Assert.Empty(log.Lines);
    }

    [Fact]
    public void Concurrent_failures_are_all_counted()
    {
        var throttle = Throttle(maxFailures: 10_000);
        Parallel.For(0, 10_000, _ => throttle.CountFailure("10.0.0.1", "device token"));
        Assert.NotNull(throttle.RetryAfter("10.0.0.1"));
        Assert.Single(log.Lines);
    }
}
