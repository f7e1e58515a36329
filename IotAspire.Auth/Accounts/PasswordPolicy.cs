namespace IotAspire.Auth.Accounts;

/// <summary>
/// Rejects passwords that are easy to guess, with a reason a person can act on. Length matters most
/// (NIST SP 800-63B); the rest catches the usual first tries of an attacker.
/// </summary>
public static class PasswordPolicy
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "password1", "password123", "passw0rd", "12345678", "123456789", "1234567890",
        "qwerty123", "qwertyuiop", "iloveyou", "admin123", "administrator", "welcome1", "letmein1",
        "changeme", "abc12345", "11111111", "00000000", "sunshine1", "football1",
    };

    /// <returns>Null when the password is acceptable, otherwise why it is not.</returns>
    public static string? Check(string userName, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return "A password is required.";
        }

        if (password.Length < MinLength)
        {
            return $"The password must be at least {MinLength} characters long.";
        }

        if (password.Length > MaxLength)
        {
            return $"The password must be at most {MaxLength} characters long.";
        }

        if (!password.Any(char.IsLetter) || password.All(char.IsLetter))
        {
            return "The password must mix letters with digits or symbols.";
        }

        if (Common.Contains(password))
        {
            return "The password is one of the most common passwords; choose another.";
        }

        if (userName.Length >= 3 && password.Contains(userName.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            return "The password must not contain the username.";
        }

        return null;
    }
}
