using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorGrid.Hosting.Membership;

// Runs on hosts without the core role. A cluster with no reachable core member cannot place,
// persist or answer anything; it is what is left behind when the core host restarted and
// founded a new cluster elsewhere. After `rejoin-without-core-after` of that, this actor asks
// the host (RejoinSignal) to leave and join again through its seeds, where the core now is.
public sealed class CoreLossWatcher : ReceiveActor, IWithTimers
{
    private sealed class Check
    {
        public static readonly Check Instance = new();
    }

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _after;
    private readonly RejoinSignal _signal;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DateTime? _coreLostAt;

    public ITimerScheduler Timers { get; set; } = null!;

    public CoreLossWatcher(TimeSpan after, RejoinSignal signal)
    {
        _after = after;
        _signal = signal;
        Receive<Check>(_ => Evaluate());
    }

    public static Props Props(TimeSpan after, RejoinSignal signal) => Akka.Actor.Props.Create(() => new CoreLossWatcher(after, signal));

    protected override void PreStart() => Timers.StartPeriodicTimer("check", Check.Instance, Interval);

    private void Evaluate()
    {
        var cluster = Cluster.Get(Context.System);
        var state = cluster.State;
        // A host not yet welcomed into any cluster is still on its way through its seeds. One that
        // was welcomed, even if still joining, can be in the wrong cluster: a worker welcomed by a
        // core that died before moving it up stays joining among the workers left behind, where
        // nobody can move it up (seen: downed there by the Split Brain Resolver, it exited).
        var self = cluster.SelfMember;
        if (self.Status is not (MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            || !state.Members.Any(m => m.UniqueAddress.Equals(self.UniqueAddress)))
        {
            _coreLostAt = null;
            _signal.CoreLost = false;
            return;
        }
        var hasCore = state.Members.Any(m => m.HasRole(Roles.Core) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving && !state.Unreachable.Contains(m));
        if (hasCore)
        {
            if (_coreLostAt is not null) _log.Info("A core member is reachable again; this host stays in its cluster");
            _coreLostAt = null;
            _signal.CoreLost = false;
            return;
        }
        var now = DateTime.UtcNow;
        if (_coreLostAt is null)
        {
            _coreLostAt = now;
            _signal.CoreLost = true;
            _log.Warning("This host's cluster has no reachable core member; it rejoins through its seeds in {0} unless one comes back", _after);
            return;
        }
        if (now - _coreLostAt < _after) return;
        var members = string.Join(", ", state.Members.Select(m => $"{m.Address} {m.Status.ToString().ToLowerInvariant()} [{string.Join(",", m.Roles)}]"));
        _signal.Request($"no reachable core member for {(now - _coreLostAt.Value).TotalSeconds:0}s (members: {members})");
        Timers.CancelAll();
        Become(() => { }); // the host is being rebuilt; nothing left to decide
    }
}
