namespace IotAspire.Shared.Text;

/// <summary>
/// The rule every text a client sends passes before it reaches code or the database (names, URLs, zone names, user
/// names; later keys and tags): no NUL (PostgreSQL text cannot hold it, and it failed deep in the database as a
/// <c>POSTGRES</c> error), no other control character (C0, DEL, C1: invisible in lists and logs, and a line break in
/// a name forges log lines), no unpaired surrogate (not UTF-8, which PostgreSQL refuses too), and a bounded length.
/// </summary>
public static class TextInput
{
    /// <summary>The longest text any argument takes (the webhook URL's 2 000 is the longest a field allows).</summary>
    public const int MaxLength = 4_096;

    /// <summary>Why <paramref name="text"/> is refused, as a sentence that starts after the field's name, or null.</summary>
    public static string? Refusal(string text, int maxLength = MaxLength)
    {
        if (text.Length > maxLength)
        {
            return $"may be at most {maxLength} characters, not {text.Length}.";
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return $"contains a NUL character (at {i}); send text without it.";
            }

            if (char.IsControl(c))
            {
                return $"contains the control character U+{(int)c:X4} (at {i}); send printable text only.";
            }

            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }

                return $"contains an unpaired surrogate U+{(int)c:X4} (at {i}), which is not Unicode text; send UTF-8.";
            }
        }

        return null;
    }

    /// <summary>The refusal with the field named first (<c>name contains a NUL character ...</c>), or null.</summary>
    public static string? Refusal(string field, string text, int maxLength = MaxLength) =>
        Refusal(text, maxLength) is { } why ? $"{field} {why}" : null;
}
