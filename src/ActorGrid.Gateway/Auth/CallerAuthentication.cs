using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;

namespace ActorGrid.Gateway.Auth;

// Who is calling: the operator (admin token) or a tenant (API key checked against tenant/<id>),
// with the problem to answer when neither. Endpoints do not call it: the gateway's bearer schemes
// (BearerHandlers.cs) do, behind the route groups' policies (GatewayAuth).
// Verified keys are cached briefly so a busy tenant does not cost a cluster round trip per call.
// The cache is bounded and its entries expire: a flood of distinct (even valid) keys evicts
// entries instead of growing the gateway's memory, and a key is asked about again after CacheFor.
public sealed class CallerAuthentication(GatewayOptions options, GridActors actors) : IDisposable
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    // Far above the keys a gateway's tenants use in CacheFor; beyond it the cache compacts.
    private const int MaxCachedKeys = 10_000;
    private readonly MemoryCache _verified = new(new MemoryCacheOptions { SizeLimit = MaxCachedKeys });
    // When a tenant's keys were last rotated through this gateway: a cached verification asked for
    // before then no longer counts. Entries expire CacheFor after they were asked for, so a
    // rotation older than CacheFor has outlived every entry it could veto and is dropped.
    private readonly ConcurrentDictionary<TenantId, DateTimeOffset> _rotatedAt = new();
    private readonly byte[] _adminToken = Encoding.UTF8.GetBytes(options.AdminToken);

    public IResult? RequireOperator(HttpRequest request)
    {
        var token = BearerOf(request);
        if (token is null) return Problems.Unauthorized("Send the operator token as 'Authorization: Bearer <token>'.");
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), _adminToken)
            ? null
            : Problems.Unauthorized("The operator token is wrong.");
    }

    public async Task<(TenantView? Tenant, IResult? Error)> RequireTenantAsync(HttpRequest request, CancellationToken cancel)
    {
        var key = BearerOf(request);
        if (key is null) return (null, Problems.Unauthorized("Send your tenant API key as 'Authorization: Bearer <key>'."));
        var hash = ApiKeys.Hash(key);
        if (_verified.TryGetValue<Verified>(hash, out var hit) && StillCounts(hit!)) return (hit!.Tenant, null);
        if (ApiKeys.TenantOf(key) is not { } tenantId) return (null, Problems.Unauthorized("The API key is not valid."));

        var asked = DateTimeOffset.UtcNow;
        var reply = await actors.AskAsync(actors.Tenants, new AuthenticateTenant(tenantId, hash), cancel);
        if (reply is not TenantAuthenticated ok) return (null, Problems.Unauthorized("The API key is not valid."));
        _verified.Set(hash, new Verified(ok.Tenant, asked), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = asked + CacheFor });
        return (ok.Tenant, null);
    }

    // After a key rotation through this gateway the revoked keys stop working here at once; other
    // gateways drop them when their cache entry expires (CacheFor).
    public void Forget(TenantId tenant)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (id, at) in _rotatedAt)
            if (now - at > CacheFor) _rotatedAt.TryRemove(id, out _);
        _rotatedAt[tenant] = now;
    }

    public void Dispose() => _verified.Dispose();

    private bool StillCounts(Verified hit) => !_rotatedAt.TryGetValue(hit.Tenant.Id, out var rotated) || hit.AskedAt > rotated;

    private sealed record Verified(TenantView Tenant, DateTimeOffset AskedAt);

    private static string? BearerOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }
}
