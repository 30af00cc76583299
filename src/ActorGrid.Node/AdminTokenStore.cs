using System.Security.Cryptography;

namespace ActorGrid.Node;

// The operator token: ACTORGRID_ADMIN_TOKEN when set, otherwise generated on first start and
// kept in <data>/admin-token (readable by the owner only) so it survives restarts.
public static class AdminTokenStore
{
    public const string EnvironmentVariable = "ACTORGRID_ADMIN_TOKEN";

    public static bool FromEnvironment => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));

    public static string FileIn(string dataDirectory) => Path.Combine(dataDirectory, "admin-token");

    public static string Resolve(string dataDirectory)
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv.Trim();

        var file = FileIn(dataDirectory);
        if (File.Exists(file))
        {
            var stored = File.ReadAllText(file).Trim();
            if (stored.Length > 0) return stored;
        }
        var token = "agadm_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        File.WriteAllText(file, token + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return token;
    }
}
