using System.Globalization;
using System.Text.Json;
using IotAspire.Api.Errors;
using IotAspire.Api.Ingestion;

namespace IotAspire.Api.OriginalRest;

/// <summary>The original API's reading JSON (<c>timestamp, reading, device_id, customer_id</c>), read strictly (a pure rule).</summary>
public static class OriginalReadings
{
    /// <summary>The readings of a body, or the first problem, named by its place (<c>[3].device_id</c>).</summary>
    public static IReadOnlyList<SentReading> Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Array)
        {
            throw ApiErrors.BadInput("Send a JSON array of readings: [{\"timestamp\": ..., \"reading\": ..., \"device_id\": ..., \"customer_id\": ...}].");
        }

        var readings = new List<SentReading>(body.GetArrayLength());
        var i = 0;
        foreach (var item in body.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw ApiErrors.BadInput($"[{i}] must be an object with timestamp, reading, device_id and customer_id.");
            }

            readings.Add(new SentReading(
                Time(Required(item, "timestamp", i), $"[{i}].timestamp"),
                Number(Required(item, "reading", i), $"[{i}].reading"),
                Uuid(Required(item, "device_id", i), $"[{i}].device_id"),
                item.TryGetProperty("customer_id", out var customer) && customer.ValueKind != JsonValueKind.Null ? Uuid(customer, $"[{i}].customer_id") : null));
            i++;
        }

        return readings;
    }

    /// <summary>A time as the original API wrote it: ISO 8601 with the offset, to the microsecond.</summary>
    public static string Text(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz", CultureInfo.InvariantCulture);

    /// <summary>A time parameter or field: ISO 8601; without an offset it is UTC, as the original read it.</summary>
    public static bool TryTime(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static JsonElement Required(JsonElement item, string name, int index) =>
        item.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw ApiErrors.BadInput($"[{index}].{name} is missing.");

    private static DateTimeOffset Time(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && TryTime(value.GetString(), out var time)
            ? time
            : throw ApiErrors.BadInput($"{name} must be an ISO 8601 date and time, such as \"2022-01-21T10:56:18.950901\", not {value.GetRawText()}.");

    private static double Number(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetDouble(out var number) => number,
        // The original (Django REST framework) took numbers sent as strings too.
        JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => number,
        _ => throw ApiErrors.BadInput($"{name} must be a number, not {value.GetRawText()}."),
    };

    private static Guid Uuid(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && Guid.TryParseExact(value.GetString(), "D", out var id)
            ? id
            : throw ApiErrors.BadInput($"{name} must be a UUID such as \"71bf19cb-e7e7-4334-af31-5ebba56a655d\", not {value.GetRawText()}.");
}
