using System.Text.Json;
using System.Text.Json.Serialization;

namespace IotAspire.Tests.Infrastructure;

/// <summary>The original system's sample readings, as its clients posted them.</summary>
public sealed record SeedReading(
    [property: JsonPropertyName("timestamp")] DateTime Timestamp,
    [property: JsonPropertyName("reading")] double Reading,
    [property: JsonPropertyName("device_id")] Guid DeviceId,
    [property: JsonPropertyName("customer_id")] Guid CustomerId)
{
    public static readonly Guid Customer1 = Guid.Parse("b0c2bda5-0d6d-4c6a-86d4-76489ea2b9df");
    public static readonly Guid Customer2 = Guid.Parse("09a96248-2a72-4288-ac9b-02f2779161e3");

    /// <summary>Timestamps without an offset are UTC, as the API reads them.</summary>
    public DateTimeOffset RecordedAt => new(DateTime.SpecifyKind(Timestamp, DateTimeKind.Utc));

    public static IReadOnlyList<SeedReading> Load(string file) =>
        JsonSerializer.Deserialize<List<SeedReading>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "SeedData", file)))!;

    /// <summary>
    /// The expected bucket means, computed here independently of the SQL: floor of seconds since the epoch.
    /// </summary>
    public static Dictionary<(Guid Device, DateTimeOffset Bucket), double> ExpectedMeans(IEnumerable<SeedReading> readings, int aggregationSizeMinutes) =>
        readings
            .GroupBy(r => (r.DeviceId, Bucket: DateTimeOffset.FromUnixTimeSeconds(
                r.RecordedAt.ToUnixTimeSeconds() / (aggregationSizeMinutes * 60) * (aggregationSizeMinutes * 60))))
            .ToDictionary(g => (g.Key.DeviceId, g.Key.Bucket), g => g.Average(r => r.Reading));

    /// <summary>The same buckets with the same means (to 12 digits), whichever side computed them.</summary>
    public static void AssertSameMeans(
        IReadOnlyDictionary<(Guid Device, DateTimeOffset Bucket), double> expected,
        IReadOnlyDictionary<(Guid Device, DateTimeOffset Bucket), double> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.All(expected, e => Assert.Equal(e.Value, actual[e.Key], precision: 12));
    }
}
