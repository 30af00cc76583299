using ActorGrid.Placement;
using ActorGrid.Sim.Inputs;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Sim.Scenario;

// Everything one simulation run needs: where the sites are, what nodes stand there, what arrives.
public sealed record SimInputs(Topology Topology, IReadOnlyList<InventoryNode> Nodes, IReadOnlyList<TraceRow> Trace);
