using IotAspire.Api.Errors;

namespace IotAspire.Api.Readings;

/// <summary>
/// The name of one of a device's values (<c>temperature</c>, <c>power.l1</c>): 1 to <see cref="MaxLength"/> ASCII
/// letters, digits, <c>_</c>, <c>.</c> or <c>-</c>. Compared as written (case matters), as ThingsBoard's telemetry keys
/// and InfluxDB's field names are. A reading sent without a key is stored under <see cref="Default"/>, the one key the
/// original API knew.
/// </summary>
public static class TelemetryKey
{
    public const string Default = "reading";
    public const int MaxLength = 64;

    /// <summary>Whether <paramref name="key"/> is a key as above.</summary>
    public static bool IsValid(string? key)
    {
        if (key is not { Length: > 0 and <= MaxLength })
        {
            return false;
        }

        foreach (var c in key)   // a loop, not LINQ: every value of every batch passes here
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Refuses a key that is not one; <paramref name="name"/> is what the caller called it (<c>messages[2].values[0].key</c>).</summary>
    public static string Check(string? key, string name) => IsValid(key) ? key! : throw ApiErrors.BadInput(
        $"{name} must be 1 to {MaxLength} letters, digits, '_', '.' or '-' (like temperature or power.l1), not {Describe(key)}.");

    /// <summary>A key as an error message quotes it: shortened, without control characters.</summary>
    public static string Describe(string? key) => key is null ? "null"
        : "\"" + new string([.. key.Take(MaxLength + 1).Select(c => char.IsControl(c) ? '?' : c)]) + (key.Length > MaxLength + 1 ? "…" : "") + "\"";
}
