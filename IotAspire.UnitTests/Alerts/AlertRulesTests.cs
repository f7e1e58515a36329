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
    [InlineData("100.64.0.1", false, "a shared (carrier-grade NAT) address")]
    [InlineData("fe80::1", true, "a link-local address")]
    [InlineData("0.0.0.0", true, "an unspecified (\"this network\") address")]
    [InlineData("0.1.2.3", true, "an unspecified (\"this network\") address")]
    [InlineData("::", true, "an unspecified address")]
    [InlineData("224.0.0.1", true, "a multicast address")]
    [InlineData("239.255.255.250", true, "a multicast address")]
    [InlineData("ff02::1", true, "a multicast address")]
    [InlineData("255.255.255.255", true, "the broadcast address")]
    [InlineData("240.0.0.1", true, "a reserved address")]
    // Every non-global row of the IANA special-purpose registries, refused whatever the settings.
    [InlineData("192.0.0.8", true, "an IETF protocol assignment")]
    [InlineData("192.0.2.1", true, "a documentation (TEST-NET-1) address")]
    [InlineData("198.51.100.7", true, "a documentation (TEST-NET-2) address")]
    [InlineData("203.0.113.200", true, "a documentation (TEST-NET-3) address")]
    [InlineData("198.18.0.1", true, "a benchmarking address")]
    [InlineData("198.19.255.254", true, "a benchmarking address")]
    [InlineData("192.88.99.1", true, "a deprecated 6to4 relay anycast address")]
    [InlineData("2001:db8::1", true, "a documentation address")]
    [InlineData("3fff::1", true, "a documentation address")]
    [InlineData("2001:2::1", true, "an IETF protocol assignment (Teredo, benchmarking, ORCHID)")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", true, "an IETF protocol assignment (Teredo, benchmarking, ORCHID)")]
    [InlineData("100::1", true, "a discard-only address")]
    [InlineData("100:0:0:1::1", true, "a dummy IPv6 prefix address")]
    [InlineData("5f00::1", true, "a segment routing (SRv6) address")]
    [InlineData("fec0::1", true, "a (deprecated) site-local address")]
    [InlineData("64:ff9b:1::a00:1", true, "a local-use IPv4/IPv6 translation address")]
    [InlineData("4000::1", true, "a reserved IPv6 address (outside global unicast 2000::/3)")]
    [InlineData("::1:0:0:1", true, "a reserved IPv6 address (outside global unicast 2000::/3)")]
    // IPv6 forms that carry an IPv4 address are judged by it: where NAT64 or 6to4 routes, they reach it.
    [InlineData("::127.0.0.1", false, "an IPv4-compatible IPv6 address carrying 127.0.0.1, a loopback or private address")]
    [InlineData("::169.254.169.254", true, "an IPv4-compatible IPv6 address carrying 169.254.169.254, a link-local or metadata address")]
    [InlineData("::ffff:0:127.0.0.1", false, "an IPv4-translated IPv6 address carrying 127.0.0.1, a loopback or private address")]
    [InlineData("64:ff9b::127.0.0.1", false, "a NAT64 address carrying 127.0.0.1, a loopback or private address")]
    [InlineData("64:ff9b::169.254.169.254", true, "a NAT64 address carrying 169.254.169.254, a link-local or metadata address")]
    [InlineData("64:ff9b::10.0.0.1", false, "a NAT64 address carrying 10.0.0.1, a loopback or private address")]
    [InlineData("64:ff9b::192.0.2.1", true, "a NAT64 address carrying 192.0.2.1, a documentation (TEST-NET-1) address")]
    [InlineData("2002:7f00:1::1", false, "a 6to4 address carrying 127.0.0.1, a loopback or private address")]
    [InlineData("2002:a9fe:a9fe::", true, "a 6to4 address carrying 169.254.169.254, a link-local or metadata address")]
    [InlineData("2002:0a00:0001::", false, "a 6to4 address carrying 10.0.0.1, a loopback or private address")]
    [InlineData("::ffff:169.254.169.254", true, "a link-local or metadata address")]
    [InlineData("64:ff9b::100.100.100.200", true, "a NAT64 address carrying 100.100.100.200, a cloud metadata address")]
    public void Webhooks_reach_only_globally_reachable_addresses_and_private_ones_only_when_allowed(string address, bool allowPrivate, string why) =>
        Assert.Equal(why, WebhookTarget.Refusal(IPAddress.Parse(address), allowPrivate));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("2606:2800:21f:cb07:6820:80da:af6b:8b2c")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]                 // just past the shared address space
    [InlineData("198.20.0.1")]                  // just past benchmarking
    [InlineData("192.0.0.9")]                   // the registry's globally reachable rows inside non-global ranges
    [InlineData("192.0.0.10")]
    [InlineData("2001:4:112::1")]
    [InlineData("2001:20::1")]
    [InlineData("64:ff9b::8.8.8.8")]            // NAT64 of a public address
    [InlineData("2002:0808:0808::1")]           // 6to4 of a public address
    [InlineData("223.255.255.255")]
    public void Public_addresses_may_be_called(string address) => Assert.Null(WebhookTarget.Refusal(IPAddress.Parse(address), allowPrivate: false));

    [Theory]
    [InlineData("64:ff9b::127.0.0.1")]
    [InlineData("::127.0.0.1")]
    [InlineData("2002:7f00:1::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Loopback_carried_in_IPv6_is_allowed_only_where_private_targets_are(string address) =>
        Assert.Null(WebhookTarget.Refusal(IPAddress.Parse(address), allowPrivate: true));

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
