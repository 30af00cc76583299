using System.Security.Cryptography;
using System.Text.Json;
using ActorGrid.Protocol.Serialization;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Gateway.Apis;

// What makes two submissions "the same request" under one idempotency key: the SHA-256 of the
// validated spec in one canonical JSON form (defaults filled in, fields in record order, env
// sorted by name). Whitespace, field order and spelled-out defaults do not change it; any
// difference in what would run does. Which gateway stores a bundle is not what would run, so
// only the bundle's hash counts.
public static class RequestFingerprint
{
    private static readonly JsonSerializerOptions Canonical = ActorGridSerializer.CreateOptions();

    public static string Of(TaskSpec spec)
    {
        var canonical = spec with
        {
            Env = new SortedDictionary<string, string>(spec.Env.ToDictionary(), StringComparer.Ordinal),
            Bundle = spec.Bundle is { } bundle ? bundle with { StoredBy = "" } : null,
        };
        return Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(canonical, Canonical))).ToLowerInvariant();
    }
}
