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

    // With chip profiles, actorgrid is the hardware-aware policy; `all` adds the GPU-cluster baselines.
    // With `ablation` (and chip profiles), the hardware-aware policy's parts one by one are added.
    public static IReadOnlyList<ISimPolicy> Policies(SimInputs inputs, bool all, bool ablation)
    {
        var list = Policies(inputs, all);
        return ablation && inputs.Profiles is { } profiles ? [.. list, .. ActorGridSimPolicy.Ablation(profiles)] : list;
    }

    public static IReadOnlyList<ISimPolicy> Policies(SimInputs inputs, bool all)
    {
        if (inputs.Profiles is not { } profiles) return all ? [.. Policies(), .. Extra(ChipProfiles.Uniform)] : Policies();
        List<ISimPolicy> list = [ActorGridSimPolicy.HardwareAware(profiles), new FifoNearestPolicy(), new RandomFeasiblePolicy(), new CheapestFeasiblePolicy()];
        if (all) list.AddRange(Extra(profiles));
        return list;

        static IEnumerable<ISimPolicy> Extra(ChipProfiles speeds) =>
            [new FifoConsolidatePolicy(), new SrtfOraclePolicy(speeds), new TiresiasLasPolicy(), ActorGridSimPolicy.HardwareAware(speeds, blind: true),
             ActorGridSimPolicy.HardwareAware(speeds, ActorGridParts.Untold, ActorGridSimPolicy.LasName)];
    }

    public static string DefaultProfilesPath()
    {
        var here = Path.Combine("hocon", "chips", "profiles.hocon");
        return File.Exists(here) ? here : Path.Combine(AppContext.BaseDirectory, "hocon", "chips", "profiles.hocon");
    }

    // Throws FileNotFoundException / FormatException with a one-line message on bad input.
    public static SimInputs Load(SimOptions options)
    {
        var profiles = options.ChipProfiles is { } p ? ChipProfiles.Load(p)
            : options.Scenario is HeterogeneousScenarios.GpuTrace or HeterogeneousScenarios.GpuTraceFair or HeterogeneousScenarios.Campaign ? ChipProfiles.Load(DefaultProfilesPath())
            : null;
        SimInputs inputs;
        if (options.Scenario is HeterogeneousScenarios.GpuTrace) inputs = HeterogeneousScenarios.BuildGpuTrace(options.Seed, profiles!);
        else if (options.Scenario is HeterogeneousScenarios.GpuTraceFair) inputs = HeterogeneousScenarios.BuildGpuTrace(options.Seed, profiles!, edge: false);
        else if (options.Scenario is HeterogeneousScenarios.Campaign) inputs = HeterogeneousScenarios.BuildCampaign(options.Seed, profiles!);
        else if (options.Scenario is not null) inputs = InspectionScenario.Build(options.Seed, options.Hours) with { Profiles = profiles };
        else
        {
            var topology = LoadTopology(options.Topology!);
            var nodes = InventoryFile.Load(options.Nodes!);
            if (nodes.Count == 0) throw new FormatException($"node inventory '{options.Nodes}' lists no nodes");
            inputs = new SimInputs(topology, nodes, [], profiles);
        }
        if (options.Trace is { } trace) inputs = inputs with { Trace = TraceCsv.Load(trace) };
        return options.ArrivalScale == 1 ? inputs : inputs with { Trace = Scale(inputs.Trace, options.ArrivalScale) };
    }

    // The same tasks arriving `k` times as densely; deadlines keep their distance from submission.
    public static IReadOnlyList<TraceRow> Scale(IReadOnlyList<TraceRow> rows, double k) =>
        rows.Select(r => r with
        {
            SubmitS = Math.Round(r.SubmitS / k, 3),
            DeadlineS = r.DeadlineS is { } d ? Math.Round(r.SubmitS / k, 3) + (d - r.SubmitS) : null,
        }).ToList();

    // With `placements`, each policy's per-task rows stream into it as tasks settle.
    public static IReadOnlyList<PolicySummary> RunAll(SimInputs inputs, int seed, PlacementsCsv? placements = null, bool allBaselines = false, bool ablation = false,
        IReadOnlyList<string>? only = null) =>
        Select(Policies(inputs, allBaselines, ablation), only).Select(p => Simulation.Run(inputs, p, seed, placements?.For(p.Name))).ToList();

    // The policies `only` names, in their usual order; a name that is not among them is an error.
    public static IReadOnlyList<ISimPolicy> Select(IReadOnlyList<ISimPolicy> policies, IReadOnlyList<string>? only)
    {
        if (only is null) return policies;
        foreach (var name in only)
            if (!policies.Any(p => p.Name == name))
                throw new ArgumentException($"--policies: no policy '{name}' in this run (there are {string.Join(", ", policies.Select(p => p.Name))})");
        return policies.Where(p => only.Contains(p.Name)).ToList();
    }

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
