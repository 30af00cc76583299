using ActorGrid.Placement;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Gateway.Inference;

public sealed record RouteCandidate(InferenceHostStatus Host, double NetworkMs, double EstimatedMs, bool Warm, string Note);

public sealed record RouteDecision(RouteCandidate? Chosen, int RefusalStatus, string Reason, bool Offloaded);

// Picks the worker for one inference request, purely from the workers' published status:
// among those whose estimate (round trip from the origin site + the queue ahead + one batch)
// meets the SLA, the nearest that already has the model loaded, then the nearest that can load
// it. A request leaves its origin's tier only when nothing nearer can meet the SLA (offload).
// When nothing can, it is refused now, with every candidate's estimate in the reason.
public static class InferenceRoutePolicy
{
    // Used when a worker has not run the model yet: loading a small model takes tens of ms.
    public const double ColdStartMs = 50;

    // One-way latency between sites by the public figures: same site, else by the tier of the
    // destination (edge gateways sit in the city, regional clouds in the province, hubs beyond).
    // Only the fallback for a grid without a topology file: see NetworkMs(Topology, ...).
    public static double NetworkMs(string? originSite, InferenceHostStatus host) =>
        originSite is null || originSite == host.Site ? 0.1
        : host.Tier switch
        {
            Tiers.Device or Tiers.Edge => 1,
            Tiers.Regional => 5,
            _ => 10,
        };

    // One-way latency from the origin site to the host's site as the placement policy sees it:
    // an explicit link, else the topology's default for the two sites' distance class (same
    // city, province, region, hub). A site the topology does not declare gets its `unknown`
    // default (or same-site, when both names are equal), as it does in placement, so every
    // host is then equally far and the queue decides. No origin: the network costs nothing.
    public static double NetworkMs(Topology topology, string? originSite, InferenceHostStatus host) =>
        originSite is null ? 0.1 : topology.Link(originSite, host.Site).LatencyMs;

    // refusedBy: members that already refused this request with 503 (queue full, draining); they
    // count as excluded, so the decision still says when the answer leaves the nearest tier.
    public static RouteDecision Choose(
        IReadOnlyList<InferenceHostStatus> hosts, string sha256, string? originSite, double slaMs,
        Func<string, string, int> inFlight, Func<string?, InferenceHostStatus, double>? network = null,
        IReadOnlySet<string>? refusedBy = null)
    {
        if (hosts.Count == 0)
            return new RouteDecision(null, 503, "No worker with the inference executor has reported to this gateway yet; is a worker host up?", false);
        network ??= NetworkMs;
        var candidates = new List<RouteCandidate>(hosts.Count);
        // Hosts that cannot take the request at all (queue full, model failed): still counted when
        // deciding which host is nearest, so a request that leaves a full edge says it was offloaded.
        var excluded = new List<RouteCandidate>();
        foreach (var host in hosts)
        {
            var net = network(originSite, host);
            if (refusedBy?.Contains(host.Member) == true)
            {
                excluded.Add(new RouteCandidate(host, net, double.PositiveInfinity, false, "refused it: queue full"));
                continue;
            }
            var runner = host.Models.FirstOrDefault(m => m.Sha256 == sha256);
            if (runner is null)
            {
                candidates.Add(new RouteCandidate(host, net, 2 * net + ColdStartMs, false, "model not loaded"));
                continue;
            }
            if (runner.State == ModelRunnerStates.Failed)
            {
                excluded.Add(new RouteCandidate(host, net, double.PositiveInfinity, false, "could not load the model"));
                continue;
            }
            var busy = Math.Max(runner.Queued + runner.Running, inFlight(host.Member, sha256));
            if (busy >= host.MaxQueuePerModel)
            {
                excluded.Add(new RouteCandidate(host, net, double.PositiveInfinity, false, $"queue full ({busy} of {host.MaxQueuePerModel})"));
                continue;
            }
            var batchMs = Math.Max(runner.BatchMs, 0.05);
            var batchesAhead = Math.Ceiling((double)busy / Math.Max(1, runner.MaxBatch));
            var estimate = 2 * net + batchesAhead * batchMs + batchMs + (runner.State == ModelRunnerStates.Loading ? ColdStartMs : 0);
            candidates.Add(new RouteCandidate(host, net, estimate, runner.State == ModelRunnerStates.Ready, runner.State == ModelRunnerStates.Ready ? $"{busy} ahead" : "loading"));
        }

        var meeting = candidates.Where(c => c.EstimatedMs <= slaMs).ToList();
        var nearest = candidates.Concat(excluded).MinBy(c => (c.NetworkMs, Rank(c.Host.Tier)));
        var chosen = meeting.Where(c => c.Warm).MinBy(c => (c.NetworkMs, c.EstimatedMs))
                     ?? meeting.MinBy(c => (c.NetworkMs, c.EstimatedMs));
        if (chosen is null)
        {
            // Nothing has the model warm and nothing is estimated to meet the SLA cold: the first
            // request must pay for a load somewhere, so send it to the nearest host that can.
            if (candidates.Count > 0 && candidates.All(c => !c.Warm))
            {
                var cold = candidates.MinBy(c => (c.NetworkMs, c.EstimatedMs))!;
                return new RouteDecision(cold, 0, $"cold start on {cold.Host.Node} ({cold.Host.Tier})", false);
            }
            var details = candidates.Concat(excluded).Select(Describe);
            var status = candidates.Count == 0 ? 503 : 429;
            return new RouteDecision(null, status,
                $"No worker can answer within the {slaMs:0.#} ms SLA: {string.Join("; ", details)}. Retry later, or send a larger slaMs.", false);
        }
        var offloaded = nearest is not null && nearest.Host.Member != chosen.Host.Member && Rank(chosen.Host.Tier) > Rank(nearest.Host.Tier);
        var reason = offloaded
            ? $"offloaded to {chosen.Host.Node} ({chosen.Host.Tier}, ~{chosen.EstimatedMs:0.#} ms): {Describe(nearest!)}"
            : $"{chosen.Host.Node} ({chosen.Host.Tier}) estimated ~{chosen.EstimatedMs:0.#} ms";
        return new RouteDecision(chosen, 0, reason, offloaded);
    }

    private static int Rank(string tier) => Math.Max(0, Tiers.All.ToList().IndexOf(tier));

    private static string Describe(RouteCandidate c) =>
        double.IsPositiveInfinity(c.EstimatedMs)
            ? $"{c.Host.Node} ({c.Host.Tier}) {c.Note}"
            : $"{c.Host.Node} ({c.Host.Tier}, {c.Note}) estimated ~{c.EstimatedMs:0.#} ms";
}
