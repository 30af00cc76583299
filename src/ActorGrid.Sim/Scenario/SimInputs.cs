using ActorGrid.Placement;
using ActorGrid.Sim.Inputs;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Sim.Scenario;

// Everything one simulation run needs: where the sites are, what nodes stand there, what arrives.
// Profiles: the chip speeds the simulator runs work at (hocon/chips/profiles.hocon); null runs every
// task in its duration_s on any chip, as the simulator did before chips had speeds.
public sealed record SimInputs(Topology Topology, IReadOnlyList<InventoryNode> Nodes, IReadOnlyList<TraceRow> Trace, ChipProfiles? Profiles = null)
{
    public ChipProfiles Speeds => Profiles ?? ChipProfiles.Uniform;
}
