using ActorGrid.Worker.Inference;
using Akka.Actor;
using Akka.Event;

namespace ActorGrid.Gateway.Audit;

// On gateway hosts: the retention job. Every prune-interval (and once shortly after start) it
// removes, tenant by tenant, the audit records older than that tenant's retention (its own
// setting stored by the API, else the HOCON per-tenant value, else the default), piping the
// store's work back so the actor never blocks; one run at a time. Every gateway runs it; the
// store's per-tenant lock makes concurrent runs harmless. Nothing else deletes audit records.
public sealed class AuditPruner : ReceiveActor, IWithTimers
{
    private readonly AuditStore _store;
    private readonly InferenceSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _running;

    public AuditPruner(AuditStore store, InferenceSettings settings)
    {
        _store = store;
        _settings = settings;
        Receive<Tick>(_ =>
        {
            if (_running) return;
            _running = true;
            PruneAllAsync().PipeTo(Self, failure: ex => new Done(-1, ex));
        });
        Receive<Done>(done =>
        {
            _running = false;
            if (done.Error is not null) _log.Warning(done.Error, "Pruning the audit trail failed; retrying at the next interval");
            else if (done.Removed > 0) _log.Info("Audit retention removed {0} records", done.Removed);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AuditStore store, InferenceSettings settings) => Akka.Actor.Props.Create(() => new AuditPruner(store, settings));

    protected override void PreStart()
    {
        Timers.StartSingleTimer("first", Tick.Instance, TimeSpan.FromSeconds(Math.Min(10, _settings.AuditPruneInterval.TotalSeconds)));
        Timers.StartPeriodicTimer("prune", Tick.Instance, _settings.AuditPruneInterval);
    }

    private async Task<Done> PruneAllAsync() => new(await PruneOnceAsync(_store, _settings, DateTimeOffset.UtcNow), null);

    // One run of the job as of `now`; returns how many records it removed.
    public static async Task<int> PruneOnceAsync(AuditStore store, InferenceSettings settings, DateTimeOffset now, CancellationToken cancel = default)
    {
        var removed = 0;
        var own = await store.RetentionDaysAsync(cancel);
        foreach (var tenant in await store.TenantsAsync(cancel))
        {
            var cutoff = now - RetentionFor(tenant, own, settings);
            removed += (await store.PruneAsync(tenant, cutoff.ToUnixTimeMilliseconds(), cancel)).Records;
        }
        return removed;
    }

    // The tenant's own setting (PUT /v1/audit/retention) first, then HOCON's per-tenant value,
    // then HOCON's default.
    public static TimeSpan RetentionFor(string tenant, IReadOnlyDictionary<string, int> own, InferenceSettings settings) =>
        own.TryGetValue(tenant, out var days) ? TimeSpan.FromDays(days) : settings.RetentionFor(tenant);

    private sealed record Done(int Removed, Exception? Error);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
