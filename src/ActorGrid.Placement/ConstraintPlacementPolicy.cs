using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Placement;

// Hard constraints only, then the least-loaded survivor. Scoring by latency, price and green
// power is the negotiation issue's work; this policy is what it will refine.
public sealed class ConstraintPlacementPolicy : IPlacementPolicy
{
    public PlacementDecision Decide(PlacementQuery query, IReadOnlyCollection<NodeCapacity> nodes)
    {
        var rejections = new List<CandidateRejection>();
        NodeCapacity? best = null;
        var bestScore = double.MinValue;
        foreach (var node in nodes.OrderBy(n => n.Descriptor.Id.Value, StringComparer.Ordinal))
        {
            var reason = Violation(query, node);
            if (reason is not null)
            {
                rejections.Add(new CandidateRejection(node.Descriptor.Id, reason));
                continue;
            }
            // Share of the node's CPU left after this task: spreading keeps headroom everywhere.
            var score = (node.FreeCpu - query.Requirements.Cpu) / node.Descriptor.Cpu;
            if (score > bestScore)
            {
                best = node;
                bestScore = score;
            }
        }
        return new PlacementDecision(best?.Descriptor.Id, rejections);
    }

    public static string? Violation(PlacementQuery query, NodeCapacity node)
    {
        var req = query.Requirements;
        var d = node.Descriptor;
        if (!NodeStates.TakesNewWork(node.State)) return $"node is {node.State}";
        if (query.AllowedZones.Count > 0 && !query.AllowedZones.Contains(d.Zone))
            return $"zone {d.Zone} is not in the allowed zones [{string.Join(", ", query.AllowedZones)}]";
        if (req.Chips is { } chips)
        {
            if (!d.Chips.Any(c => c.Model == chips.Model)) return $"has no {chips.Model} chips";
            var free = node.FreeChips.GetValueOrDefault(chips.Model);
            if (free < chips.Count) return $"needs {chips.Count} {chips.Model}, {free} free";
        }
        if (req.Cpu > node.FreeCpu) return $"needs {req.Cpu} cpu, {node.FreeCpu:0.##} free of {d.Cpu}";
        if (req.MemoryMiB > node.FreeMemoryMiB) return $"needs {req.MemoryMiB} MiB memory, {node.FreeMemoryMiB} free";
        return null;
    }
}
