using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActorGrid.Protocol.Serialization;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Gateway.Apis;

// What makes two submissions "the same request" under one idempotency key: the SHA-256 of the
// validated spec in one canonical JSON form (defaults filled in, fields in record order, env
// sorted by name). Whitespace, field order and spelled-out defaults do not change it; any
// difference in what would run does. Which gateway stores a bundle is not what would run, so
// only the bundle's hash counts. Fields added to TaskSpec later are left out while they hold
// their defaults, so a request hashes as it did before they existed and a retry across an
// upgrade is still the same request.
public static class RequestFingerprint
{
    private static readonly JsonSerializerOptions Canonical = ActorGridSerializer.CreateOptions();

    public static string Of(TaskSpec spec) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson(spec)))).ToLowerInvariant();

    public static string CanonicalJson(TaskSpec spec)
    {
        var canonical = spec with
        {
            Env = new SortedDictionary<string, string>(spec.Env.ToDictionary(), StringComparer.Ordinal),
            Bundle = spec.Bundle is { } bundle ? bundle with { StoredBy = "" } : null,
        };
        var json = JsonSerializer.SerializeToNode(canonical, Canonical)!.AsObject();
        if (spec.Workers == 1) json.Remove("workers");
        if (spec.Output is null) json.Remove("output");
        return json.ToJsonString(Canonical);
    }
}
