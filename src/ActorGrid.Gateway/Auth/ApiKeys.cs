using System.Security.Cryptography;
using System.Text;
using ActorGrid.Protocol;

namespace ActorGrid.Gateway.Auth;

// Tenant API keys look like agk_<tenant>_<64 hex>. The tenant id inside lets the gateway find
// the tenant entity to check the key against; only the SHA-256 of the key is ever stored.
public static class ApiKeys
{
    private const string Prefix = "agk_";

    public static string Issue(TenantId tenant) =>
        Prefix + tenant.Value + "_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();

    public static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant();

    public static TenantId? TenantOf(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var cut = key.LastIndexOf('_');
        if (cut <= Prefix.Length) return null;
        var tenant = key[Prefix.Length..cut];
        return IdRules.IsValid(tenant) ? new TenantId(tenant) : null;
    }
}
