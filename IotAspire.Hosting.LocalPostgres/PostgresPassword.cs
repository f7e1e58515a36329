using System.Security.Cryptography;
using System.Text;

namespace IotAspire.Hosting.LocalPostgres;

/// <summary>
/// A role's password as PostgreSQL stores it: a SCRAM-SHA-256 verifier (RFC 5802, RFC 7677). Sending the
/// verifier in <c>ALTER ROLE ... PASSWORD</c> instead of the password keeps the password itself out of the
/// SQL text, and so out of traces (<c>db.query.text</c>), statement logs and pg_stat_statements.
/// </summary>
public static class PostgresPassword
{
    private const int Iterations = 4096;   // PostgreSQL's scram_iterations default

    public static string ScramVerifier(string password, byte[]? salt = null)
    {
        salt ??= RandomNumberGenerator.GetBytes(16);
        // PostgreSQL applies SASLprep; for the ASCII passwords the AppHost generates that is the identity.
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        var storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${Iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }
}
