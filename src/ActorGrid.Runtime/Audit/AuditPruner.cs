using ActorGrid.Runtime.Inference;
using Akka.Actor;
using Akka.Event;

namespace ActorGrid.Runtime.Audit;

// On gateway hosts: the retention job. Every prune-interval (and once shortly after start) it
// removes, tenant by tenant, the audit records older than that tenant's retention, piping the
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

    private async Task<Done> PruneAllAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var removed = 0;
        foreach (var tenant in await _store.TenantsAsync())
        {
            var cutoff = now - _settings.RetentionFor(tenant);
            removed += (await _store.PruneAsync(tenant, cutoff.ToUnixTimeMilliseconds())).Records;
        }
        return new Done(removed, null);
    }

    private sealed record Done(int Removed, Exception? Error);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
