using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Auth;

// Who is calling: the operator (admin token) or a tenant (API key checked against tenant/<id>).
// Verified keys are cached briefly so a busy tenant does not cost a cluster round trip per call.
public sealed class CallerAuthentication(GatewayOptions options, GridActors actors)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (TenantView Tenant, DateTimeOffset Until)> _verified = new();
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
        if (_verified.TryGetValue(hash, out var hit) && hit.Until > DateTimeOffset.UtcNow) return (hit.Tenant, null);
        if (ApiKeys.TenantOf(key) is not { } tenantId) return (null, Problems.Unauthorized("The API key is not valid."));

        var reply = await actors.AskAsync(actors.Tenants, new AuthenticateTenant(tenantId, hash), cancel);
        if (reply is not TenantAuthenticated ok) return (null, Problems.Unauthorized("The API key is not valid."));
        _verified[hash] = (ok.Tenant, DateTimeOffset.UtcNow + CacheFor);
        return (ok.Tenant, null);
    }

    // After a key rotation through this gateway the revoked keys stop working here at once; other
    // gateways drop them when their cache entry expires (CacheFor).
    public void Forget(TenantId tenant)
    {
        foreach (var (hash, entry) in _verified)
            if (entry.Tenant.Id == tenant) _verified.TryRemove(hash, out _);
    }

    private static string? BearerOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }
}
