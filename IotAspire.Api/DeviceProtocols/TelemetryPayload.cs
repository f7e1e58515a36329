using System.Text.Json;
using IotAspire.Api.Errors;
using IotAspire.Api.Ingestion;
using IotAspire.Api.OriginalRest;
using IotAspire.Api.Readings;

namespace IotAspire.Api.DeviceProtocols;

/// <summary>
/// A device's telemetry payload as ThingsBoard's device API takes it (MQTT topic <c>v1/devices/me/telemetry</c>, HTTP
/// <c>POST /api/v1/{token}/telemetry</c>), read strictly into the messages of that one device (a pure rule):
/// <list type="bullet">
/// <item><c>{"temperature": 21.5, "humidity": 40}</c>: values at the server's time;</item>
/// <item><c>{"ts": 1775001600000, "values": {"temperature": 21.5}}</c>: values at a Unix time in milliseconds;</item>
/// <item>a JSON array of those;</item>
/// <item>the original API's array of readings (<c>[{"timestamp", "reading", "device_id", "customer_id"}]</c>), stored
/// under the key <c>reading</c>; its device ids must be the token's device (<see cref="IngestReadings"/> checks that).</item>
/// </list>
/// Values are numbers; <c>true</c> and <c>false</c> are stored as 1 and 0 (as the telemetry-keys rule says for paths that
/// take free JSON); text, objects and arrays are refused naming the key. The first problem refuses the whole payload.
/// </summary>
public static class TelemetryPayload
{
    /// <summary>Values one payload may carry: a payload is one message of one device, not a history import.</summary>
    public const int MaxValues = 10_000;

    /// <summary>The messages of <paramref name="payload"/> for <paramref name="deviceId"/>, or the first reason to refuse it.</summary>
    public static IReadOnlyList<SentMessage> Parse(ReadOnlyMemory<byte> payload, Guid deviceId, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw ApiErrors.BadInput($"The payload is not valid JSON ({e.Message}). Send {{\"key\": value}} or {{\"ts\": <unix ms>, \"values\": {{\"key\": value}}}}.");
        }

        using (document)
        {
            var root = document.RootElement;
            var messages = new List<SentMessage>();
            if (root.ValueKind == JsonValueKind.Array)
            {
                if (root.GetArrayLength() > 0 && root[0] is { ValueKind: JsonValueKind.Object } first && first.TryGetProperty("device_id", out _))
                {
                    return [.. OriginalReadings.Parse(root).Select(r => new SentMessage(r.DeviceId, r.Timestamp, [new SentValue(TelemetryKey.Default, r.Reading)], r.CustomerId))];
                }

                var i = 0;
                foreach (var item in root.EnumerateArray())
                {
                    messages.Add(Message(item, $"[{i++}]", deviceId, now));
                }
            }
            else
            {
                messages.Add(Message(root, "payload", deviceId, now));
            }

            if (messages.Count == 0)
            {
                throw ApiErrors.BadInput("The payload is an empty array; send at least one message.");
            }

            var count = messages.Sum(m => m.Values.Count);
            return count <= MaxValues ? messages
                : throw ApiErrors.BadInput($"A payload may carry at most {MaxValues} values; this one carries {count}. Send it in several messages.");
        }
    }

    private static SentMessage Message(JsonElement item, string place, Guid deviceId, DateTimeOffset now)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw ApiErrors.BadInput($"{place} must be an object: {{\"key\": value}} or {{\"ts\": <unix ms>, \"values\": {{...}}}}, not {Kind(item)}.");
        }

        if (!item.TryGetProperty("ts", out var ts) && !item.TryGetProperty("values", out _))
        {
            return new SentMessage(deviceId, Truncated(now), Values(item, place));
        }

        foreach (var property in item.EnumerateObject())
        {
            if (property.Name is not ("ts" or "values"))
            {
                throw ApiErrors.BadInput($"{place} has \"{Shortened(property.Name)}\" beside ts and values; a timed message is {{\"ts\": <unix ms>, \"values\": {{...}}}}.");
            }
        }

        if (!item.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Object)
        {
            throw ApiErrors.BadInput($"{place}.values must be an object of keys and numbers, such as {{\"temperature\": 21.5}}.");
        }

        return new SentMessage(deviceId, Time(item.TryGetProperty("ts", out ts) ? ts : default, $"{place}.ts"), Values(values, $"{place}.values"));
    }

    private static DateTimeOffset Time(JsonElement ts, string place)
    {
        if (ts.ValueKind != JsonValueKind.Number || !ts.TryGetInt64(out var milliseconds))
        {
            throw ApiErrors.BadInput($"{place} must be a Unix time in whole milliseconds, such as 1775001600000, not {Shortened(ts.ValueKind == JsonValueKind.Undefined ? "nothing" : ts.GetRawText())}.");
        }

        var earliest = ReadingTime.Earliest.ToUnixTimeMilliseconds();
        var end = ReadingTime.End.ToUnixTimeMilliseconds();
        return milliseconds >= earliest && milliseconds <= end
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : throw ApiErrors.BadInput($"{place} ({milliseconds}) is outside the accepted range {ReadingTime.Earliest:yyyy-MM-dd} to {ReadingTime.End:yyyy-MM-dd} (UTC); it is a Unix time in milliseconds, not seconds.");
    }

    private static List<SentValue> Values(JsonElement values, string place)
    {
        var sent = new List<SentValue>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in values.EnumerateObject())
        {
            var key = property.Name;
            if (!TelemetryKey.IsValid(key))
            {
                TelemetryKey.Check(key, $"A key of {place}");
            }

            var value = property.Value;
            var number = value.ValueKind switch
            {
                JsonValueKind.Number when value.TryGetDouble(out var n) && Math.Abs(n) <= IngestReadings.MaxMagnitude => n,
                JsonValueKind.True => 1,
                JsonValueKind.False => 0,
                JsonValueKind.Number => throw ApiErrors.BadInput(
                    $"{place}.{key} ({Shortened(value.GetRawText())}) must be a finite number between -1e100 and 1e100."),
                JsonValueKind.String => throw ApiErrors.BadInput(
                    $"{place}.{key} is text ({Shortened(value.GetRawText())}); values are numbers (true and false count as 1 and 0). Text belongs in the device's tags (setDeviceAttributes)."),
                _ => throw ApiErrors.BadInput($"{place}.{key} is {Kind(value)}; values are numbers (true and false count as 1 and 0)."),
            };
            if (!keys.Add(key))
            {
                throw ApiErrors.BadInput($"{place} names key {key} twice; a message has one value per key.");
            }

            sent.Add(new SentValue(key, number));
        }

        return sent.Count > 0 ? sent : throw ApiErrors.BadInput($"{place} holds no values; send at least one, such as {{\"temperature\": 21.5}}.");
    }

    // The server's time to the microsecond, which is what is stored (ReadingTime refuses finer times).
    private static DateTimeOffset Truncated(DateTimeOffset now) => new(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => Shortened(value.GetRawText()),
    };

    /// <summary>Client text as a refusal quotes it (and the log shows it): at most 80 characters, control characters as '?'.</summary>
    public static string Shortened(string text) =>
        new string([.. text.Take(80).Select(c => char.IsControl(c) ? '?' : c)]) + (text.Length > 80 ? "…" : "");
}
