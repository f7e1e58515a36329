using IotAspire.Api.ReadingsStore;
using IotAspire.Api.LiveUpdates;

namespace IotAspire.UnitTests.Readings;

/// <summary>The pure rules of live updates: the notification's payload and the buckets an update covers.</summary>
public sealed class LiveUpdatesRulesTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2022-03-01T10:02:00.123456Z");

    [Fact]
    public void A_notification_survives_its_payload_to_the_microsecond()
    {
        var notification = new ReadingsNotification(Guid.NewGuid(), Guid.NewGuid(), "power.l1", At.AddDays(-400), At, DateTimeOffset.Parse("2026-11-28T10:00:00.000001Z"));
        Assert.Equal(notification, ReadingsNotification.Parse(notification.ToPayload()));

        var beforeEpoch = notification with { FirstAt = DateTimeOffset.Parse("1969-12-31T23:59:59.999999Z") };
        Assert.Equal(beforeEpoch, ReadingsNotification.Parse(beforeEpoch.ToPayload()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 1 2 3")]                     // a field short (the key)
    [InlineData("00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 1 2 3 reading x")]         // one too many
    [InlineData("not-a-guid 00000000-0000-0000-0000-000000000002 1 2 3 reading")]
    [InlineData("00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 2 1 3 reading")]           // first after last
    [InlineData("00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 1 99999999999999999999 3 reading")]
    [InlineData("00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 1 2 1e5 reading")]
    [InlineData("00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 1 2 3 no/key")]            // not a key
    public void Anything_else_on_the_channel_is_not_a_notification(string payload) =>
        Assert.Null(ReadingsNotification.Parse(payload));

    [Fact]
    public void The_notification_sql_is_scoped_to_customers_with_live_subscribers()
    {
        Assert.Contains("cardinality(@listened::uuid[]) > 0", ReadingsNotification.NotifySql);
        Assert.Contains("FROM live_subscribers WHERE expires_at > now()", ReadingsNotification.ListenedSql);
        Assert.Contains("batch.customer_id = ANY(@listened)", ReadingsNotification.NotifySql);
        Assert.Contains($"pg_notify('{ReadingsNotification.Channel}'", ReadingsNotification.NotifySql);
    }

    [Theory]
    [InlineData("2022-06-01T10:10:00Z", "2022-06-01T10:20:00Z", 60, "2022-06-01T10:00:00Z", "2022-06-01T11:00:00Z")]
    [InlineData("2022-06-01T10:30:00Z", "2022-06-01T11:05:00Z", 60, "2022-06-01T10:00:00Z", "2022-06-01T12:00:00Z")]
    [InlineData("2022-06-01T11:00:00Z", "2022-06-01T11:00:00Z", 60, "2022-06-01T11:00:00Z", "2022-06-01T12:00:00Z")]   // on a boundary
    [InlineData("1969-12-31T23:59:00Z", "1969-12-31T23:59:00Z", 5, "1969-12-31T23:55:00Z", "1970-01-01T00:00:00Z")]    // before the epoch
    [InlineData("2020-01-01T00:00:00Z", "2022-06-01T10:07:00Z", 5, "2022-05-28T22:50:00Z", "2022-06-01T10:10:00Z")]    // the latest 1 000 (83 h 20 min)
    public void An_update_covers_the_buckets_its_batch_touched(string first, string last, int size, string from, string to)
    {
        var (f, t) = WatchReadings.TouchedBuckets(DateTimeOffset.Parse(first), DateTimeOffset.Parse(last), size);
        Assert.Equal((DateTimeOffset.Parse(from), DateTimeOffset.Parse(to)), (f, t));
        Assert.True((t - f).TotalMinutes / size <= WatchReadings.MaxBucketsPerUpdate);
    }
}
