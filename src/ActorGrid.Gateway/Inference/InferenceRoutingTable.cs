using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using ActorGrid.Placement;
using ActorGrid.Protocol.Inference;

namespace ActorGrid.Gateway.Inference;

// A gateway's view of the inference workers: the last status each published (written by the
// InferenceStatusListener actor, read lock-free by HTTP requests), plus the requests this
// gateway has in flight to each, which covers the time between two status messages. It also
// holds the grid's topology (the file placement uses), so routing and placement agree on how
// far a site is; without one, the policy's fixed tier table stands in.
public sealed class InferenceRoutingTable(Topology? topology = null)
{
    // A topology that declares no site would put every host at its `unknown` distance, which
    // says less than the tier table does.
    private readonly Topology? _topology = topology is { Sites.Count: > 0 } ? topology : null;

    private ImmutableDictionary<string, (InferenceHostStatus Status, long ReceivedAt)> _hosts =
        ImmutableDictionary<string, (InferenceHostStatus, long)>.Empty;
    private readonly ConcurrentDictionary<(string Member, string Sha256), int> _inFlight = new();

    public void Update(InferenceHostStatus status) =>
        ImmutableInterlocked.Update(ref _hosts, h => h.SetItem(status.Member, (status, Stopwatch.GetTimestamp())));

    public void Remove(string member) => ImmutableInterlocked.Update(ref _hosts, h => h.Remove(member));

    // Hosts heard from within staleAfter: a silent host may be gone.
    public IReadOnlyList<InferenceHostStatus> Live(TimeSpan staleAfter) =>
        [.. _hosts.Values.Where(h => Stopwatch.GetElapsedTime(h.ReceivedAt) <= staleAfter).Select(h => h.Status)];

    public bool HasTopology => _topology is not null;

    // One-way milliseconds from the request's origin site to the host: what Choose routes on.
    public double NetworkMs(string? originSite, InferenceHostStatus host) =>
        _topology is { } t ? InferenceRoutePolicy.NetworkMs(t, originSite, host) : InferenceRoutePolicy.NetworkMs(originSite, host);

    public int InFlight(string member, string sha256) => _inFlight.GetValueOrDefault((member, sha256));

    public void Started(string member, string sha256) => _inFlight.AddOrUpdate((member, sha256), 1, (_, n) => n + 1);

    public void Finished(string member, string sha256) => _inFlight.AddOrUpdate((member, sha256), 0, (_, n) => Math.Max(0, n - 1));
}
