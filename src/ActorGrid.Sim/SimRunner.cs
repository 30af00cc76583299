using ActorGrid.Sim.Engine;
using ActorGrid.Sim.Inputs;
using ActorGrid.Sim.Policies;
using ActorGrid.Sim.Report;
using ActorGrid.Sim.Scenario;
using ActorGrid.Sim.Trace;
using ActorGrid.Placement;

namespace ActorGrid.Sim;

// Loads the inputs the options name and runs every policy on them.
public static class SimRunner
{
    public static IReadOnlyList<ISimPolicy> Policies() =>
        [new ActorGridSimPolicy(), new FifoNearestPolicy(), new RandomFeasiblePolicy(), new CheapestFeasiblePolicy()];

    // Throws FileNotFoundException / FormatException with a one-line message on bad input.
    public static SimInputs Load(SimOptions options)
    {
        if (options.Scenario is not null)
        {
            var scenario = InspectionScenario.Build(options.Seed, options.Hours);
            return options.Trace is { } trace ? scenario with { Trace = TraceCsv.Load(trace) } : scenario;
        }
        var topology = LoadTopology(options.Topology!);
        var nodes = InventoryFile.Load(options.Nodes!);
        if (nodes.Count == 0) throw new FormatException($"node inventory '{options.Nodes}' lists no nodes");
        return new SimInputs(topology, nodes, TraceCsv.Load(options.Trace!));
    }

    // With `placements`, each policy's per-task rows stream into it as tasks settle.
    public static IReadOnlyList<PolicySummary> RunAll(SimInputs inputs, int seed, PlacementsCsv? placements = null) =>
        Policies().Select(p => Simulation.Run(inputs, p, seed, placements?.For(p.Name))).ToList();

    private static Topology LoadTopology(string path)
    {
        try
        {
            return TopologyFile.Load(path);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"Topology '{path}': {ex.Message}.", ex);
        }
    }
}
