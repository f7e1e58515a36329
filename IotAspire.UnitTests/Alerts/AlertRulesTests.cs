using System.Net;
using System.Security.Cryptography;
using System.Text;
using IotAspire.Api.Alerts;
using IotAspire.Api.Errors;

namespace IotAspire.UnitTests.Alerts;

public sealed class AlertRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static AlertTimeline.Point[] Minutes(params double[] values) => [.. values.Select((v, i) => new AlertTimeline.Point(T0.AddMinutes(i), v))];

    private static string Changes(List<AlertTimeline.Transition> transitions) =>
        string.Join(" ", transitions.Select(t => $"{(t.Change == AlertChange.Raised ? "R" : "C")}@{(t.Reading.At - T0).TotalMinutes}"));

    [Fact]
    public void Above_for_minutes_raises_at_the_reading_that_completes_the_span_and_clears_at_the_first_reading_at_or_below()
    {
        // Above 10 from minute 1; minute 4 completes 3 minutes (1..4); 10 itself is not above.
        var readings = Minutes(5, 11, 12, 13, 14, 15, 10, 11);
        Assert.Equal("R@4 C@6", Changes(AlertTimeline.Transitions(AlertRuleKind.Above, 10, 3, readings, T0)));
        // Zero minutes: at once.
        Assert.Equal("R@1 C@6 R@7", Changes(AlertTimeline.Transitions(AlertRuleKind.Above, 10, 0, readings, T0)));
        Assert.Equal("R@0 C@1 R@6 C@7", Changes(AlertTimeline.Transitions(AlertRuleKind.Below, 10.5, 0, readings, T0)));
    }

    [Fact]
    public void A_gap_counts_as_the_span_only_from_a_reading_at_or_before_its_start()
    {
        // Readings at 0 (above) and 10 (above): 0 is at or before 10 - 5, so the span is known.
        var readings = new[] { new AlertTimeline.Point(T0, 20), new AlertTimeline.Point(T0.AddMinutes(10), 20) };
        Assert.Equal("R@10", Changes(AlertTimeline.Transitions(AlertRuleKind.Above, 10, 5, readings, T0)));
        // The first reading alone proves nothing for 5 minutes.
        Assert.Equal("", Changes(AlertTimeline.Transitions(AlertRuleKind.Above, 10, 5, readings[..1], T0)));
    }

    [Fact]
    public void Evaluating_again_from_a_later_reading_gives_the_same_changes_from_there()
    {
        var readings = Minutes(5, 11, 12, 13, 14, 15, 10, 11, 12, 13, 14, 2);
        var all = AlertTimeline.Transitions(AlertRuleKind.Above, 10, 3, readings, T0);
        var later = AlertTimeline.Transitions(AlertRuleKind.Above, 10, 3, readings, T0.AddMinutes(6));
        Assert.Equal(all.Where(t => t.Reading.At >= T0.AddMinutes(6)), later);
        Assert.Equal("R@4 C@6 R@10 C@11", Changes(all));
    }

    [Fact]
    public void A_late_reading_inside_a_span_clears_and_delays_the_raise()
    {
        var onTime = Minutes(11, 12, 13, 14, 15, 16);
        Assert.Equal("R@3", Changes(AlertTimeline.Transitions(AlertRuleKind.Above, 10, 3, onTime, T0)));
        var withLate = onTime.Append(new AlertTimeline.Point(T0.AddMinutes(1.5), 0)).OrderBy(p => p.At).ToArray();
        Assert.Equal("R@5", Changes(AlertTimeline.Transitions(AlertRuleKind.Above, 10, 3, withLate, T0.AddMinutes(1.5))));
    }

    [Fact]
    public void Rate_of_change_compares_each_reading_with_the_earliest_of_its_window_rising_or_falling()
    {
        // Window 2 minutes, more than 3 per minute in size.
        var readings = Minutes(0, 1, 2, 10, 11, 12, 0);
        // At 3: from minute 1 (1 -> 10) = 4.5/min; at 4: from 2 (2 -> 11) = 4.5; at 5: from 3 (10 -> 12) = 1; at 6: from 4 (11 -> 0) = -5.5.
        Assert.Equal("R@3 C@5 R@6", Changes(AlertTimeline.Transitions(AlertRuleKind.RateOfChange, 3, 2, readings, T0)));
    }

    [Fact]
    public void No_data_raises_once_the_silence_lasts_and_clears_at_the_next_reading()
    {
        var created = T0.AddMinutes(-60);
        Assert.Null(NoDataRule.Decide(10, created, T0, null, T0.AddMinutes(9)));
        Assert.Equal(new NoDataRule.Change(AlertChange.Raised, T0.AddMinutes(10)), NoDataRule.Decide(10, created, T0, null, T0.AddMinutes(12)));
        // Raised at 10 after the reading at 0: no reading since, nothing; a reading at 15 clears it there.
        var raised = (AlertChange.Raised, T0.AddMinutes(10), (DateTimeOffset?)T0);
        Assert.Null(NoDataRule.Decide(10, created, T0, raised, T0.AddMinutes(30)));
        Assert.Equal(new NoDataRule.Change(AlertChange.Cleared, T0.AddMinutes(15)), NoDataRule.Decide(10, created, T0.AddMinutes(15), raised, T0.AddMinutes(30)));
        // A late reading from inside the silence clears it at the raise.
        Assert.Equal(new NoDataRule.Change(AlertChange.Cleared, T0.AddMinutes(10)), NoDataRule.Decide(10, created, T0.AddMinutes(5), raised, T0.AddMinutes(30)));
        // A device already silent when the rule is made: raised at the rule's creation.
        Assert.Equal(new NoDataRule.Change(AlertChange.Raised, T0.AddMinutes(20)), NoDataRule.Decide(10, T0.AddMinutes(20), T0, (AlertChange.Cleared, T0, T0), T0.AddMinutes(20)));
        // A device that never sent: measured from the rule's creation.
        Assert.Null(NoDataRule.Decide(10, T0, null, null, T0.AddMinutes(9)));
        Assert.Equal(new NoDataRule.Change(AlertChange.Raised, T0.AddMinutes(10)), NoDataRule.Decide(10, T0, null, null, T0.AddMinutes(11)));
        Assert.Equal(new NoDataRule.Change(AlertChange.Cleared, T0.AddMinutes(12)), NoDataRule.Decide(10, T0, T0.AddMinutes(12), (AlertChange.Raised, T0.AddMinutes(10), null), T0.AddMinutes(13)));
    }

    [Theory]
    [InlineData(AlertRuleKind.Above, null, 5, "threshold must be a finite number")]
    [InlineData(AlertRuleKind.Below, double.NaN, 5, "threshold must be a finite number")]
    [InlineData(AlertRuleKind.Above, 1.0, -1, "minutes must be between 0")]
    [InlineData(AlertRuleKind.Above, 1.0, 10_081, "minutes must be between 0")]
    [InlineData(AlertRuleKind.NoData, 1.0, 5, "threshold does not apply to NO_DATA")]
    [InlineData(AlertRuleKind.NoData, null, 0, "minutes must be between 1")]
    [InlineData(AlertRuleKind.RateOfChange, 0.0, 5, "threshold must be a change per minute above 0")]
    [InlineData(AlertRuleKind.RateOfChange, 1.0, 0, "minutes (the window) must be between 1")]
    public void Bad_rules_are_refused_naming_the_field(AlertRuleKind kind, double? threshold, int minutes, string message)
    {
        var refused = Assert.Throws<ApiErrorException>(() => AlertRuleRules.Check(kind, threshold, minutes, null));
        Assert.Equal(ApiErrors.BadUserInput, refused.Code);
        Assert.StartsWith(message, refused.Message);
    }

    [Theory]
    [InlineData("169.254.169.254", false, "a link-local or metadata address")]
    [InlineData("169.254.169.254", true, "a link-local or metadata address")]
    [InlineData("fd00:ec2::254", true, "a cloud metadata address")]
    [InlineData("100.100.100.200", true, "a cloud metadata address")]
    [InlineData("127.0.0.1", false, "a loopback or private address")]
    [InlineData("::1", false, "a loopback or private address")]
    [InlineData("::ffff:10.1.2.3", false, "a loopback or private address")]
    [InlineData("10.1.2.3", false, "a loopback or private address")]
    [InlineData("172.20.0.1", false, "a loopback or private address")]
    [InlineData("192.168.1.1", false, "a loopback or private address")]
    [InlineData("fd12::1", false, "a loopback or private address")]
    [InlineData("fe80::1", true, "a link-local address")]
    [InlineData("0.0.0.0", true, "an unspecified or broadcast address")]
    [InlineData("224.0.0.1", true, "a multicast or reserved address")]
    public void Webhooks_never_reach_metadata_link_local_or_unspecified_addresses_and_private_ones_only_when_allowed(string address, bool allowPrivate, string why) =>
        Assert.Equal(why, WebhookTarget.Refusal(IPAddress.Parse(address), allowPrivate));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("2606:2800:21f:cb07:6820:80da:af6b:8b2c")]
    [InlineData("172.32.0.1")]
    public void Public_addresses_may_be_called(string address) => Assert.Null(WebhookTarget.Refusal(IPAddress.Parse(address), allowPrivate: false));

    [Theory]
    [InlineData("ftp://example.com/x", "url must be an absolute http or https URL")]
    [InlineData("/relative", "url must be an absolute http or https URL")]
    [InlineData("https://user:pw@example.com/", "url must not carry a user name")]
    public void Malformed_webhook_urls_are_refused_before_any_lookup(string url, string message) =>
        Assert.StartsWith(message, Assert.Throws<ApiErrorException>(() => WebhookTarget.CheckForm(url)).Message);

    [Fact]
    public async Task The_APIs_own_endpoints_are_refused_even_where_private_targets_are_allowed()
    {
        var own = new[] { "localhost:8000", "api.example.com" };
        Assert.Contains("is this API itself", (await Assert.ThrowsAsync<ApiErrorException>(() => WebhookTarget.CheckAsync("http://127.0.0.1:8000/x", true, own, default))).Message);
        Assert.Contains("is this API itself", (await Assert.ThrowsAsync<ApiErrorException>(() => WebhookTarget.CheckAsync("https://api.example.com/hook", true, own, default))).Message);
        Assert.Equal("http://127.0.0.1:9000/x", (await WebhookTarget.CheckAsync("http://127.0.0.1:9000/x", true, own, default)).AbsoluteUri);
    }

    [Fact]
    public void The_signature_is_the_hmac_of_the_timestamp_and_body_as_a_receiver_recomputes_it()
    {
        var body = Encoding.UTF8.GetBytes("""{"type":"alert.raised"}""");
        var header = WebhookSignature.Sign("whsec_test", 1_764_583_200, body);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("whsec_test"), Encoding.UTF8.GetBytes("1764583200." + """{"type":"alert.raised"}""")));
        Assert.Equal($"t=1764583200,v1={expected}", header);
        Assert.NotEqual(header, WebhookSignature.Sign("whsec_test", 1_764_583_201, body));
        Assert.StartsWith("whsec_", WebhookSignature.NewSecret());
        Assert.NotEqual(WebhookSignature.NewSecret(), WebhookSignature.NewSecret());
    }

    [Fact]
    public void Retries_back_off_exponentially_and_stop_after_the_last_attempt()
    {
        var options = new AlertsOptions { WebhookFirstRetryDelay = TimeSpan.FromSeconds(10), WebhookMaxAttempts = 4 };
        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40), null], Enumerable.Range(1, 4).Select(a => AlertWebhookSender.RetryDelay(a, options)));
    }
}
