using System.Collections.Concurrent;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;

namespace ActorGrid.Gateway.Limits;

// The limits a tenant's submissions run under, as this gateway last read them from tenant/<id>.
// Kept apart from the auth cache (30 s) and only for GatewayLimits.CacheFor, so an operator's
// change reaches every gateway within seconds. Concurrent requests share one read.
public sealed class TenantLimitsCache(GatewayOptions options, GridActors actors)
{
    private readonly ConcurrentDictionary<TenantId, (Task<TenantLimits?> Read, DateTimeOffset Until)> _read = new();

    public TenantLimits Effective(TenantLimits? own) => own ?? options.TenantLimits.Defaults;

    // What GET /v1/tenants/{id} shows: the limits that apply, the tenant's own or the defaults.
    public TenantView Shown(TenantView view) => view with { Limits = Effective(view.Limits) };

    public async Task<TenantLimits> ForAsync(TenantView tenant, CancellationToken cancel)
    {
        var now = DateTimeOffset.UtcNow;
        if (!_read.TryGetValue(tenant.Id, out var entry) || entry.Until <= now)
        {
            entry = (ReadAsync(tenant), now + options.TenantLimits.CacheFor);
            _read[tenant.Id] = entry;
        }
        return Effective(await entry.Read.WaitAsync(cancel));
    }

    // After a change through this gateway, the next submission reads the new limits.
    public void Forget(TenantId tenant) => _read.TryRemove(tenant, out _);

    // A tenant store that does not answer in time leaves the limits the caller authenticated with.
    private async Task<TenantLimits?> ReadAsync(TenantView tenant)
    {
        try
        {
            return await actors.AskAsync(actors.Tenants, new GetTenant(tenant.Id), CancellationToken.None) is TenantView view ? view.Limits : tenant.Limits;
        }
        catch (AskTimeoutException)
        {
            return tenant.Limits;
        }
    }
}
