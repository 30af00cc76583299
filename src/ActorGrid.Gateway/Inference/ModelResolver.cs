using System.Collections.Concurrent;
using ActorGrid.Gateway.Http;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Models;
using ActorGrid.Worker.Inference;
using Akka.Hosting;

namespace ActorGrid.Gateway.Inference;

// Resolves name[@version] to a catalog entry for the inference hot path, caching answers for
// model-cache-for (2 s) so a busy line does not cost a catalog round trip per frame. Uploads and
// deletes through this gateway drop the cached entries at once.
public sealed class ModelResolver(ActorRegistry registry, GridActors actors, InferenceSettings settings)
{
    private readonly ConcurrentDictionary<(TenantId, string, int?), (object Reply, DateTimeOffset Until)> _cache = new();

    public Akka.Actor.IActorRef Catalog => registry.Get<ModelCatalogRegionKey>();

    // "gauge", "gauge@latest" or "gauge@3"; null when the spec is malformed.
    public static (string Name, int? Version)? ParseSpec(string spec)
    {
        var at = spec.IndexOf('@');
        var name = at < 0 ? spec : spec[..at];
        if (!ModelNames.IsValid(name)) return null;
        if (at < 0) return (name, null);
        var version = spec[(at + 1)..];
        if (version == "latest") return (name, null);
        return int.TryParse(version, System.Globalization.NumberStyles.None, null, out var v) && v > 0 ? (name, v) : null;
    }

    public async Task<object> ResolveAsync(TenantId tenant, string name, int? version, CancellationToken cancel)
    {
        var key = (tenant, name, version);
        if (_cache.TryGetValue(key, out var hit) && hit.Until > DateTimeOffset.UtcNow) return hit.Reply;
        var reply = await actors.AskAsync(Catalog, new GetModelVersion(tenant, name, version), cancel);
        if (reply is ModelVersionView or ModelVersionNotFound) _cache[key] = (reply, DateTimeOffset.UtcNow + settings.ModelCacheFor);
        return reply;
    }

    public void Forget(TenantId tenant, string name)
    {
        foreach (var key in _cache.Keys.Where(k => k.Item1 == tenant && k.Item2 == name)) _cache.TryRemove(key, out _);
    }
}
