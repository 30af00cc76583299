using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// What placement knows of one node at decision time: its descriptor, state, and what is still
// free once every reservation on it is subtracted. EstimatedQueueWait is how long work already
// promised to the node delays a new task (the worker's estimate; zero when it starts at once).
public sealed record NodeCapacity(
    NodeDescriptor Descriptor,
    string State,
    double FreeCpu,
    long FreeMemoryMiB,
    IReadOnlyDictionary<string, int> FreeChips,
    TimeSpan EstimatedQueueWait = default);

public sealed record PlacementQuery(TaskId TaskId, ResourceRequirements Requirements, IReadOnlyList<string> AllowedZones, string Lane);

public sealed record CandidateRejection(NodeId Node, string Reason);

public sealed record PlacementDecision(NodeId? Chosen, IReadOnlyList<CandidateRejection> Rejections)
{
    public string Explain() =>
        Chosen is { } node ? $"placed on {node}"
        : Rejections.Count == 0 ? "no worker node has joined the grid yet"
        : "no node fits: " + string.Join("; ", Rejections.Take(5).Select(r => $"{r.Node}: {r.Reason}"));
}

// The one placement policy seam: the live placement actor and (later) the simulator call this.
// Implementations are pure and deterministic: same inputs, same decision.
public interface IPlacementPolicy
{
    PlacementDecision Decide(PlacementQuery query, IReadOnlyCollection<NodeCapacity> nodes);
}
