using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorGrid.Hosting.Membership;

// Keeps <data>/known-peers (see KnownPeers) in step with membership. Core hosts remember every
// member, since a restarted core host must find the workers' side of the cluster; other hosts
// remember core members only, so that a worker never rejoins a cluster of workers left without
// a core. An empty view is never written: a host alone right now still wants its old peers back.
public sealed class KnownPeersRecorder : ReceiveActor
{
    private sealed record Written(ImmutableSortedSet<string> Addresses, Exception? Error);

    private readonly string _dataDirectory;
    private readonly bool _rememberEveryone;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ImmutableDictionary<Address, Member> _members = ImmutableDictionary<Address, Member>.Empty;
    private ImmutableSortedSet<string> _written = [];
    private ImmutableSortedSet<string>? _pending;
    private bool _writing;

    public KnownPeersRecorder(string dataDirectory, bool rememberEveryone)
    {
        _dataDirectory = dataDirectory;
        _rememberEveryone = rememberEveryone;
        // Membership as the events tell it: Cluster.State may lag behind the event being handled.
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            _members = state.Members.ToImmutableDictionary(m => m.Address);
            Record();
        });
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            _members = _members.Remove(e.Member.Address);
            Record();
        });
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            // Not SetItem: Member equality ignores status, so SetItem would keep the old one.
            _members = _members.Remove(e.Member.Address).Add(e.Member.Address, e.Member);
            Record();
        });
        Receive<Written>(w =>
        {
            _writing = false;
            if (w.Error is null)
            {
                _written = w.Addresses;
                _log.Info("Remembered {0} peer(s) in {1}: {2}", w.Addresses.Count, KnownPeers.FileName, string.Join(", ", w.Addresses));
            }
            else _log.Warning("Could not write {0}/{1}: {2}", _dataDirectory, KnownPeers.FileName, w.Error.Message);
            if (_pending is { } next)
            {
                _pending = null;
                Write(next);
            }
        });
    }

    public static Props Props(string dataDirectory, bool rememberEveryone) =>
        Akka.Actor.Props.Create(() => new KnownPeersRecorder(dataDirectory, rememberEveryone));

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Record()
    {
        var self = Cluster.Get(Context.System).SelfAddress;
        var peers = _members.Values
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp && m.Address != self)
            .Where(m => _rememberEveryone || m.HasRole(Roles.Core))
            .Select(m => m.Address.ToString())
            .ToImmutableSortedSet(StringComparer.Ordinal);
        if (peers.IsEmpty || peers.SetEquals(_written) || (_pending?.SetEquals(peers) ?? false)) return;
        if (_writing) _pending = peers;
        else Write(peers);
    }

    private void Write(ImmutableSortedSet<string> peers)
    {
        _writing = true;
        KnownPeers.WriteAsync(_dataDirectory, peers)
            .PipeTo(Self, success: () => new Written(peers, null), failure: ex => new Written(peers, ex));
    }
}
