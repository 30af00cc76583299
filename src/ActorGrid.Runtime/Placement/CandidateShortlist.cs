using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Runtime.Placement;

// From placement's capacity view to the shortlist the negotiation calls for bids: every node is
// checked against the hard constraints (a rejection keeps its reason for the explanation), the
// survivors are ranked, the top K asked. A realtime task that fits nowhere may still fit where
// preemptible lower-lane work can be evicted; those nodes come back with what to evict.
public static class CandidateShortlist
{
    public sealed record Result(IReadOnlyList<Candidate> Shortlist, IReadOnlyList<CandidateExplanation> Rejected, string Explanation);

    public static Result Build(RequestPlacement request, CapacityView view, int size)
    {
        var query = new PlacementQuery(request.TaskId, request.Requirements, request.AllowedZones, request.Lane);
        var feasible = new List<Candidate>();
        var rejected = new List<CandidateExplanation>();
        foreach (var slot in view.Nodes)
        {
            if (slot.View.Descriptor is null || slot.View.Member is null || slot.Worker is null) continue;
            var capacity = view.CapacityOf(slot);
            var violation = ConstraintPlacementPolicy.Violation(query, capacity);
            if (violation is null)
                feasible.Add(Score(slot, capacity, request.Requirements, []));
            else
                rejected.Add(new CandidateExplanation(slot.View.Id, violation, null));
        }
        if (feasible.Count == 0 && request.Lane == Lanes.Realtime)
            feasible.AddRange(WithPreemption(request, query, view));

        var shortlist = feasible.OrderByDescending(c => c.Score).ThenBy(c => c.Node.Value, StringComparer.Ordinal).Take(size).ToList();
        var explanation = shortlist.Count > 0 ? $"{shortlist.Count} of {feasible.Count} feasible nodes asked to bid"
            : rejected.Count == 0 ? "no worker node has joined the grid yet"
            : "no node fits: " + string.Join("; ", rejected.Take(5).Select(r => $"{r.Node}: {r.Verdict}"));
        return new Result(shortlist, [.. rejected.OrderBy(r => r.Node.Value, StringComparer.Ordinal)], explanation);
    }

    // Least loaded first: the share of the node's CPU and memory left after this task.
    private static Candidate Score(CapacityView.NodeSlot slot, NodeCapacity capacity, ResourceRequirements req, IReadOnlyList<TaskId> preempt)
    {
        var d = capacity.Descriptor;
        var cpuLeft = (capacity.FreeCpu - req.Cpu) / d.Cpu;
        var memoryLeft = (double)(capacity.FreeMemoryMiB - req.MemoryMiB) / d.MemoryMiB;
        var evictionPenalty = preempt.Count;
        var terms = new Dictionary<string, double>
        {
            ["cpuLeft"] = Math.Round(cpuLeft, 4),
            ["memoryLeft"] = Math.Round(memoryLeft, 4),
            ["evictions"] = evictionPenalty,
        };
        return new Candidate(d.Id, slot.Worker!, cpuLeft + memoryLeft - evictionPenalty, terms, preempt);
    }

    private static IEnumerable<Candidate> WithPreemption(RequestPlacement request, PlacementQuery query, CapacityView view)
    {
        foreach (var slot in view.Nodes)
        {
            if (slot.View.Descriptor is null || slot.Worker is null) continue;
            var victims = new List<TaskId>();
            // Evict the smallest preemptible lower-lane work first, and only as much as needed.
            foreach (var r in slot.Reservations.Values.Where(r => r.Preemptible && Lanes.Rank(r.Lane) > Lanes.Rank(request.Lane)).OrderBy(r => r.Requirements.Cpu))
            {
                victims.Add(r.TaskId);
                var capacity = view.CapacityOf(slot, victims);
                if (ConstraintPlacementPolicy.Violation(query, capacity) is null)
                {
                    yield return Score(slot, capacity, request.Requirements, [.. victims]);
                    break;
                }
            }
        }
    }
}
