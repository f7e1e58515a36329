using IotAspire.Api.Errors;

namespace IotAspire.Api.Readings;

/// <summary>
/// The rules of a device's tags (<c>site=berlin</c>, <c>floor=3</c>) and name, as its customer sets them and as filters
/// name them: a tag name is written like a key (<see cref="TelemetryKey"/>); a value and a device name are 1 to
/// <see cref="MaxValueLength"/> characters without control characters. A device carries at most <see cref="MaxPerDevice"/>
/// tags, so that a device's row stays small and a filter stays cheap.
/// </summary>
public static class DeviceTags
{
    public const int MaxPerDevice = 16;
    public const int MaxValueLength = 128;

    /// <summary>Refuses tags that break the rules; <paramref name="name"/> is what the caller called them (<c>tags</c>).</summary>
    public static void Check(IReadOnlyList<(string Name, string Value)> tags, string name)
    {
        if (tags.Count > MaxPerDevice)
        {
            throw ApiErrors.BadInput($"{name} may hold at most {MaxPerDevice} tags, not {tags.Count}.");
        }

        for (var i = 0; i < tags.Count; i++)
        {
            if (!TelemetryKey.IsValid(tags[i].Name))
            {
                throw ApiErrors.BadInput($"{name}[{i}].name must be 1 to {TelemetryKey.MaxLength} letters, digits, '_', '.' or '-' (like site or floor), not {TelemetryKey.Describe(tags[i].Name)}.");
            }

            CheckText(tags[i].Value, $"{name}[{i}].value");
        }

        if (tags.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw ApiErrors.BadInput($"{name} names tag {twice.Key} twice; a device has one value per tag.");
        }
    }

    /// <summary>Refuses a tag value or device name that is empty, too long, or holds control characters.</summary>
    public static void CheckText(string text, string name)
    {
        if (text.Length is 0 or > MaxValueLength || text.Any(char.IsControl) || string.IsNullOrWhiteSpace(text))
        {
            throw ApiErrors.BadInput($"{name} must be 1 to {MaxValueLength} characters, not blank and without control characters.");
        }
    }
}
