using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Core.Placement;

// The adapter between placement's live view and the pure PlacementPolicy (the same code the
// simulator runs): it turns a request into a TaskDemand, asks the policy over the view's
// inventory, and turns its ranked shortlist into the candidates the negotiation calls for bids.
// A realtime task the policy cannot serve in time is offered the policy's preemption plan; under
// the service discipline (`serviceMinRun` set), so is batch work told a much shorter duration than
// preemptible batch work running where it would fit.
public static class CandidateShortlist
{
    public sealed record Result(
        PlacementOutcome Outcome, IReadOnlyList<Candidate> Shortlist, IReadOnlyList<CandidateExplanation> Rejected,
        string Explanation, DateTimeOffset? NotBefore, bool LookedForVictims = false);

    // Up to this many nodes, every node's verdict is worth its cost in the explanation; above it the
    // policy's indexed scan skips whole zones and chip models and only counts them.
    private const int ExplainEveryNodeUpTo = 64;

    // The live path: the view keeps its inventory up to date as nodes and reservations change, so
    // a decision costs the policy's scan and nothing per node in view.
    public static Result Build(
        RequestPlacement request, CapacityView view, PlacementPolicy policy, Topology topology, DateTimeOffset now, TimeSpan? serviceMinRun = null) =>
        Build(request, view, view.Inventory(topology), policy, now, serviceMinRun);

    // The same decision over a given inventory, which must mirror the view (the benchmark passes
    // view.Rebuild(topology) here to measure the old rebuild-per-decision path against the live one).
    public static Result Build(
        RequestPlacement request, CapacityView view, NodeInventory inventory, PlacementPolicy policy, DateTimeOffset now, TimeSpan? serviceMinRun = null)
    {
        var demand = DemandOf(request);
        if (inventory.Count <= ExplainEveryNodeUpTo)
            policy = new PlacementPolicy(policy.Options with { ExplainEveryNode = true }, inventory.Topology);
        var result = policy.Decide(demand, inventory, now);
        var rejected = result.Rejections.Select(r => new CandidateExplanation(r.Node, r.Describe(), null)).ToList();

        var shortlist = new List<Candidate>();
        if (result.Outcome == PlacementOutcome.Placed)
        {
            foreach (var c in result.Shortlist)
                if (SlotOf(view, c.Node) is { } slot) shortlist.Add(CandidateOf(c.Node, slot, c.Claim, c.Terms, c.Tier, request, []));
        }
        var explanation = result.Reason;

        if (result.Outcome == PlacementOutcome.FailFast
            && policy.PlanPreemption(demand, inventory, node => RunningOn(view, node), now) is { } plan
            && SlotOf(view, plan.Node) is { } victimSlot)
        {
            shortlist = [CandidateOf(plan.Node, victimSlot, plan.Claim, plan.Terms, victimSlot.View.Descriptor!.Tier, request, [.. plan.Victims.Select(v => v.TaskId)])];
            explanation = $"{result.Reason}; preempting {plan.Victims.Count} task(s) on {plan.Node}";
        }
        var lookedForVictims = result.Outcome == PlacementOutcome.Queued && serviceMinRun is not null && request.Gang is not { Workers: > 1 }
            && demand.ExpectedDuration is not null && demand.Lane is Lanes.Batch or Lanes.Deferrable;
        if (lookedForVictims
            && policy.PlanServicePreemption(demand, inventory, ServiceRunning(view, now), now, serviceMinRun!.Value.TotalSeconds) is { } served
            && SlotOf(view, served.Node) is { } servedSlot)
        {
            shortlist = [CandidateOf(served.Node, servedSlot, served.Claim, served.Terms, servedSlot.View.Descriptor!.Tier, request, [.. served.Victims.Select(v => v.TaskId)])];
            explanation = $"{result.Reason}; preempting {string.Join(", ", served.Victims.Select(v => v.TaskId))} on {served.Node}, whose remaining service is over {ServicePreemption.SrfRatio}x this task's";
        }
        var outcome = shortlist.Count > 0 ? PlacementOutcome.Placed : result.Outcome;
        if (inventory.Count == 0) explanation = "no worker node has joined the grid yet";
        return new Result(outcome, shortlist, rejected, explanation, result.NotBefore, lookedForVictims);
    }

    // Only nodes with a worker to ask can be candidates (the inventory holds no others).
    private static CapacityView.NodeSlot? SlotOf(CapacityView view, NodeId node) =>
        view.Find(node) is { InInventory: true } slot ? slot : null;

    public static TaskDemand DemandOf(RequestPlacement request)
    {
        var req = request.Requirements;
        var hints = request.Hints ?? PlacementHints.None;
        var chips = ChipDemand.Of(req.Chips);
        return new TaskDemand(
            request.TaskId, req.Cpu, req.MemoryMiB, chips, request.Lane, request.SubmittedAt, request.AllowedZones,
            hints.OriginSite, hints.SlaMs, hints.Deadline, hints.MaxPricePerHour, hints.InputSizeMiB, hints.Preemptible,
            hints.ExpectedDurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null, request.Tenant)
        {
            // A gang is a training job: its chips' training speed, not their mixed-work one.
            Workload = request.Gang is null ? null : WorkloadClass.Training,
        };
    }

    private static Candidate CandidateOf(
        NodeId node, CapacityView.NodeSlot slot, ResourceClaim claim, ScoreTerms terms, string tier, RequestPlacement request, IReadOnlyList<TaskId> preempt)
    {
        var requirements = request.Requirements with
        {
            Chips = claim.ChipModel is { } model && claim.ChipCount > 0 ? new ChipRequirement(model, claim.ChipCount) : request.Requirements.Chips,
        };
        var explained = new Dictionary<string, double>
        {
            ["total"] = Math.Round(terms.Total, 4),
            ["tier"] = Math.Round(terms.TierCost, 4),
            ["latency"] = Math.Round(terms.LatencyCost, 4),
            ["price"] = Math.Round(terms.PriceCost, 4),
            ["green"] = Math.Round(terms.GreenCost, 4),
            ["load"] = Math.Round(terms.LoadCost, 4),
            ["edgeHeadroom"] = Math.Round(terms.EdgeHeadroomCost, 4),
            ["responseMs"] = Math.Round(terms.ResponseMs, 3),
            ["oneWayLatencyMs"] = Math.Round(terms.OneWayLatencyMs, 3),
            ["queueWaitMs"] = Math.Round(terms.QueueWaitMs, 3),
            ["tierSteps"] = terms.TierSteps,
            ["pricePerHour"] = Math.Round(terms.PricePerHour, 4),
            ["greenShare"] = Math.Round(terms.GreenShare, 4),
        };
        if (terms.SlaBudgetMs is { } sla) explained["slaBudgetMs"] = sla;
        // The policy's cost is lower-is-better; the negotiation ranks bids higher-is-better.
        return new Candidate(node, slot.Worker!, -terms.Total, explained, preempt, requirements, tier, Offloaded: terms.TierSteps > 0);
    }

    // What the service discipline could evict: preemptible batch and deferrable work on one host
    // (a gang's rank would stop every host of it) that was told its duration, as the queue judges
    // it now: the rest of that duration, from when its room was reserved. Its attempts before
    // this one bound how often it was already evicted (preemptions start a new attempt).
    private static List<RunningService> ServiceRunning(CapacityView view, DateTimeOffset now)
    {
        var running = new List<RunningService>();
        foreach (var slot in view.Nodes)
        {
            if (slot.View.Descriptor is null) continue;
            foreach (var r in slot.Reservations.Values)
            {
                if (!r.Preemptible || r.Lane is not (Lanes.Batch or Lanes.Deferrable) || r.ExpectedSeconds is not { } told) continue;
                if (view.ReservationsOf(r.TaskId).Count > 1) continue;
                var ran = Math.Max(0, (now - r.At).TotalSeconds);
                var req = r.Requirements;
                var demand = new TaskDemand(r.TaskId, req.Cpu, req.MemoryMiB,
                    ChipDemand.Of(req.Chips),
                    r.Lane, r.At, [], Preemptible: true, ExpectedDuration: TimeSpan.FromSeconds(Math.Max(0, told - ran)), Tenant: r.Tenant);
                running.Add(new RunningService(demand, slot.View.Id, ClaimOf(req), ran, r.Attempt - 1));
            }
        }
        return running;
    }

    private static ResourceClaim ClaimOf(ResourceRequirements req) => new(req.Cpu, req.MemoryMiB, req.Chips?.Model, req.Chips?.Count ?? 0);

    // Only what the preemption chooser could evict (preemptible batch and deferrable work): a node
    // without any cannot make room by preemption, and the planner skips a node with an empty list
    // before it looks at the node, which at 10k nodes in view is most of the cost.
    private static IReadOnlyList<RunningTask> RunningOn(CapacityView view, NodeId node)
    {
        if (view.Find(node) is not { } slot) return [];
        List<RunningTask>? running = null;
        foreach (var r in slot.Reservations.Values)
        {
            if (!r.Preemptible || r.Lane is not (Lanes.Batch or Lanes.Deferrable)) continue;
            (running ??= []).Add(new RunningTask(r.TaskId, r.Lane, r.Preemptible,
                ClaimOf(r.Requirements), r.At,
                GangHosts: view.ReservationsOf(r.TaskId).Count));
        }
        return running is null ? [] : running;
    }
}
