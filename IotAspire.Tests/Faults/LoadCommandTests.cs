using IotAspire.Load;
using IotAspire.Tests.Infrastructure;

namespace IotAspire.Tests.Faults;

/// <summary>The load command's quick mode: a few devices for a few seconds, and the same exactness check as a long run.</summary>
[Collection(SecondAppHostCollection.Name)]
public sealed class LoadCommandTests(SecondAppHostFixture fixture)
{
    [Fact]
    public async Task A_short_load_run_stores_exactly_what_was_acknowledged()
    {
        var options = new LoadOptions
        {
            AdminUsername = RunningAppHost.AdminUserName,
            AdminPassword = RunningAppHost.AdminPassword,
            Devices = 3,
            Duration = TimeSpan.FromSeconds(4),
            BatchSize = 20,
            Interval = TimeSpan.FromMilliseconds(100),
            ResendEvery = 5,
        };
        using var auth = fixture.AppHost.CreateHttpClient(ResourceNames.Auth);
        using var api = fixture.AppHost.CreateHttpClient(ResourceNames.Api);

        var report = await new LoadRun(auth, api, options).RunAsync(progress: null, CancellationToken.None);

        Assert.True(report.Exact, report.ToString());
        Assert.True(report.BatchesResent > 0 && report.ReadingsSent > report.DistinctReadings, report.ToString());
        Assert.True(report.BucketsCompared > 0, report.ToString());
    }

    [Theory]
    [InlineData(new[] { "--devices", "5" }, "--admin-password is required")]
    [InlineData(new[] { "--admin-password", "x", "--speed", "9" }, "Unknown option --speed")]
    [InlineData(new[] { "--admin-password" }, "needs a value")]
    public void Bad_command_lines_are_refused_with_what_to_do(string[] args, string message)
    {
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => LoadOptions.Parse(args)).Message);
    }
}
